export { EXIT_CONFIG, runApp, type AppContext, type RunAppOptions } from './run-app.js';
