export {
  FAST_CLUSTER_ENV,
  ownerCounts,
  TEST_KEYRING_ENV,
  TestCluster,
  type ClusterOptions,
  type PairedSession,
} from './test-cluster.js';
