import { Logger } from '@nestjs/common';
import { ConfigError, loadHubConfig } from './config/hub-config.js';
import { createHub } from './hub.js';

// `npm run hub`: configuration from the environment, migrations, then serve.
try {
  const config = loadHubConfig(process.env);
  const app = await createHub(config);
  await app.listen(config.PORT, config.HOST);
  new Logger('hub').log(`listening on ${config.HOST}:${config.PORT} (roles: ${config.FLOTILLA_ROLES.join(', ')})`);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `flotilla hub failed to start: ${(error as Error).message}`);
  process.exit(1);
}
