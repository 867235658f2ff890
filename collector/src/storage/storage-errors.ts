/** The service's error code (`x-ms-error-code`) of a failed storage request, if it answered one. */
export function storageErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  // A failed GET or HEAD has no body to carry the code: the SDK puts the header's value in `details`.
  const header = (error as { details?: { errorCode?: unknown } }).details?.errorCode;
  return typeof header === "string" ? header : undefined;
}

export function storageStatus(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === "number" ? status : undefined;
}
