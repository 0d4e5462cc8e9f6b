import { errors } from '../../errors.js';

const emailPattern = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
const usernamePattern = /^[A-Za-z0-9_.-]{3,50}$/;

/** Lower-cased, NFC-normalised email; only ASCII addresses, so look-alikes cannot register. */
export function normalizeEmail(input: string): string {
  const email = input.normalize('NFC').trim().toLowerCase();
  if (!emailPattern.test(email)) {
    throw errors.validation('email must be a valid email address.', { field: 'email' });
  }
  return email;
}

/** NFC-normalised username of 3–50 ASCII letters, digits, `_`, `.` or `-`. */
export function normalizeUsername(input: string): string {
  const username = input.normalize('NFC').trim();
  if (!usernamePattern.test(username)) {
    throw errors.validation('username must be 3 to 50 characters: letters, digits, "_", "." or "-".', {
      field: 'username',
    });
  }
  return username;
}

/** At least 8 characters, at most 128, with a letter and a digit or symbol. */
export function checkPassword(password: string): void {
  const ok =
    password.length >= 8 && password.length <= 128 && /\p{L}/u.test(password) && /[^\p{L}]/u.test(password);
  if (!ok) {
    throw errors.validation(
      'password must be 8 to 128 characters and contain a letter and a digit or symbol.',
      { field: 'password' },
    );
  }
}

/**
 * NFC-normalised, trimmed full name of at most 100 characters after normalisation (NFC can
 * lengthen a string: U+0958 becomes two characters), or null when empty.
 */
export function normalizeFullName(input: string | undefined): string | null {
  const name = input?.normalize('NFC').trim() ?? '';
  if ([...name].length > 100) {
    throw errors.validation('fullName must be at most 100 characters (after Unicode NFC normalisation).', {
      field: 'fullName',
    });
  }
  return name || null;
}
