// Applies pending migrations to CP_DATABASE_URL (or the default local database).
import { createLogger } from '@muscode/common';
import { loadConfig } from '../config.js';
import { defaultMigrationsDir, migrate } from '../infra/migrate.js';

const config = loadConfig(process.env);
const log = createLogger('migrate', config.logLevel);
const applied = await migrate(config.databaseUrl, defaultMigrationsDir);
log.info({ applied }, applied.length > 0 ? 'migrations applied' : 'schema up to date');
