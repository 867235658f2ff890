/** The API's error body: `{"error":{"code","message"}}` with a standard HTTP status. */
export interface ApiError {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

export function apiError(status: number, code: string, message: string, headers?: Record<string, string>): ApiError {
  return headers === undefined ? { status, code, message } : { status, code, message, headers };
}

const WINDOW_RULE =
  "Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time no more than 7 days in the past";

export const errors = {
  /** Status 401 as a Java collector and Elastic's mocks observe (UNCONFIRMED by Microsoft); wording as live tenants report it. */
  permissionMissing: (found: string[], expected: string) =>
    apiError(401, "AF10001", `The permission set (${found.join(",")}) sent in the request does not include the expected permission ${expected}.`),
  /** UNCONFIRMED status; 403 because the token is valid but for another tenant. */
  tenantMismatch: (urlTenant: string, tokenTenant: string) =>
    apiError(403, "AF20010", `The tenant ID passed in the URL (${urlTenant}) does not match the tenant ID passed in the access token (${tokenTenant}).`),
  tenantUnknown: (tenant: string) => apiError(400, "AF20011", `Specified tenant ID (${tenant}) does not exist in the system or has been deleted.`),
  tenantNotGuid: (tenant: string) => apiError(400, "AF20013", `The tenant ID passed in the URL (${tenant}) is not a valid GUID.`),
  missingParameter: (name: string) => apiError(400, "AF20001", `Missing parameter: ${name}.`),
  wrongParameterType: (name: string, expected: string) => apiError(400, "AF20002", `Wrong parameter type: ${name}. Expected type: ${expected}.`),
  invalidContentType: (value: string) => apiError(400, "AF20020", `The specified content type is not valid: ${value}.`),
  /** UNCONFIRMED status. */
  noSubscription: () => apiError(400, "AF20022", "No subscription found for the specified content type."),
  alreadyEnabled: () => apiError(400, "AF20024", "The subscription is already enabled. No property change."),
  windowRule: () => apiError(400, "AF20030", `${WINDOW_RULE}.`),
  windowRuleOrdered: () => apiError(400, "AF20055", `${WINDOW_RULE} and start time should be earlier than end time.`),
  invalidNextPage: () => apiError(400, "AF20031", "Invalid nextPage Input: the nextPage value is not valid."),
  /** UNCONFIRMED status. */
  contentMissing: (contentId: string) => apiError(404, "AF20050", `The specified content (${contentId}) doesn't exist.`),
  /** UNCONFIRMED status. */
  contentExpired: (contentId: string) =>
    apiError(400, "AF20051", `Content requested with the key ${contentId} has already expired. Content older than 7 days cannot be retrieved.`),
  invalidContentId: (contentId: string) => apiError(400, "AF20052", `Content ID ${contentId} in the URL is invalid.`),
  internal: () => apiError(500, "AF50000", "An internal error occurred. Retry the request."),
  /** 403 without Retry-After, as Microsoft's troubleshooting guide shows it. */
  throttled403: (method: string, publisher: string) => apiError(403, "AF429", `Too many requests. Method=${method}, PublisherId=${publisher}`),
  /** The 429 form some collectors handle; Retry-After in seconds. */
  throttled429: (method: string, publisher: string, retryAfterSeconds: number) =>
    apiError(429, "AF429", `Too many requests. Method=${method}, PublisherId=${publisher}`, {
      "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))),
    }),
};

export function errorBody(error: ApiError): string {
  return JSON.stringify({ error: { code: error.code, message: error.message } });
}
