// Errors a command handler throws to say what went wrong in the caller's terms:
// NotFoundError -> not_found, UserInputError -> invalid_input (shown as is).
export class NotFoundError extends Error {}
export class UserInputError extends Error {}

// Runs fn, turning any error into a UserInputError (problems with the user's files or configs).
export async function userFacing<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw new UserInputError((err as Error).message)
  }
}
