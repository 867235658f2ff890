/**
 * Identifiers Microsoft assigns, the same in every tenant and cloud. App role ids are deliberately absent: consent
 * resolves them by name from each tenant's service principal, because wrong role GUIDs circulate in public scripts.
 */

/** Application (client) id of "Office 365 Management APIs", the resource behind every Management Activity API host. */
export const OFFICE365_MANAGEMENT_APP_ID = "c5393580-f805-4401-95e8-94b7a6ef2fc2";

/** Application (client) id of Microsoft Graph. */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** Role template id of the built-in Entra directory role "Global Reader" (built-in roles are assigned by template id). */
export const GLOBAL_READER_ROLE_TEMPLATE_ID = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";

/** Azure built-in role "Storage Blob Data Contributor": read and write the collector's state blobs. */
export const STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";

/** Azure built-in role "Key Vault Secrets User": read secret values, nothing else. */
export const KEY_VAULT_SECRETS_USER_ROLE_ID = "4633458b-17de-408a-b874-0445c86b69e6";
/** Azure built-in role AcrPull: pull images from one container registry. */
export const ACR_PULL_ROLE_ID = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

/** Azure built-in role "Monitoring Metrics Publisher": send data to a data collection rule through the Logs Ingestion API. */
export const MONITORING_METRICS_PUBLISHER_ROLE_ID = "3913510d-42f4-4e42-8a64-420c390055eb";
