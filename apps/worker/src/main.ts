import { loadConfigOrExit } from '@app/platform';
import { createWorker } from './bootstrap.js';

const config = loadConfigOrExit(process.env);
await createWorker(config);
process.stdout.write(JSON.stringify({ level: 'info', service: 'worker', msg: 'worker started' }) + '\n');
