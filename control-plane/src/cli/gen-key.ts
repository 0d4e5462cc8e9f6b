// Prints a new Ed25519 private key (PKCS#8 PEM) for signing access tokens.
import { generateKeyPairSync } from 'node:crypto';

const { privateKey } = generateKeyPairSync('ed25519');
process.stdout.write(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
