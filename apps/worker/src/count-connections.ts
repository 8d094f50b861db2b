/** How many connections in a `CLIENT LIST` reply carry exactly this client name. */
export function countConnectionsNamed(clientList: string, name: string): number {
  let count = 0;
  for (const line of clientList.split('\n')) {
    if (/(?:^| )name=(\S*)/.exec(line)?.[1] === name) count++;
  }
  return count;
}
