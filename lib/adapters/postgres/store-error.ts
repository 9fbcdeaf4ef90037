/** The database answered in a way the store cannot interpret, or lacks what a call names (a template not registered). */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}
