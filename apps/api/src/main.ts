import { loadConfigOrExit } from '@app/platform';
import { createApiApp } from './bootstrap.js';

const config = loadConfigOrExit(process.env);
const app = await createApiApp(config, { swaggerUi: true });
await app.listen({ port: config.port, host: '0.0.0.0' });
if (config.platformAdminTokenGenerated) {
  // Only when none was configured (never in production, where the setting is required).
  process.stdout.write(
    JSON.stringify({ level: 'warn', service: 'api', msg: 'PLATFORM_ADMIN_TOKEN was not set; generated one for this process', platformAdminToken: config.platformAdminToken }) + '\n',
  );
}
process.stdout.write(JSON.stringify({ level: 'info', service: 'api', msg: `listening on port ${config.port}` }) + '\n');
