import type { ContentType } from "../../../collector/src/source/content.ts";
import { hashInts, hashString, Random } from "../random.ts";

/** What every record of one tenant shares, and the per-record coordinates that make it unique. */
export interface RecordContext {
  id: string;
  /** Event time, virtual ms. */
  eventMs: number;
  tenantId: string;
  /** Seeds this record's other fields. */
  seed: number;
}

type Fields = Record<string, unknown>;

const FIRST = ["megan", "alex", "adele", "diego", "grady", "isaiah", "johanna", "lee", "lidia", "lynne", "miriam", "nestor", "patti", "pradeep", "henrietta"];
const LAST = [
  "ortiz",
  "wilber",
  "vance",
  "siciliani",
  "archie",
  "langer",
  "lauridsen",
  "gu",
  "holloway",
  "robbins",
  "graham",
  "wilke",
  "fernandez",
  "gupta",
  "mueller",
];
const DOMAIN = "fabrikam.com";
const TENANT_DOMAIN = "fabrikam.onmicrosoft.com";
const AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
  "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)",
  "OneDriveMpc-Transform_Thumbnail/1.0",
];
const SITES = ["Finance", "Marketing", "Engineering", "HR", "Legal"];
const FILES = ["Q1 forecast.xlsx", "Board deck.pptx", "Roadmap.docx", "Salaries 2026.xlsx", "Contract draft.pdf", "notes.txt"];
const FIRST_PARTY_APPS = ["00000003-0000-0ff1-ce00-000000000000", "00000002-0000-0ff1-ce00-000000000000", "d3590ed6-52b3-4102-aeff-aad2292ab01c"];

interface User {
  upn: string;
  puid: string;
  objectId: string;
  sid: string;
}

const CAST_SIZE = FIRST.length * LAST.length;
const casts = new Map<string, User[]>();

function castOf(tenantId: string): User[] {
  let cast = casts.get(tenantId);
  if (cast === undefined) {
    cast = Array.from({ length: CAST_SIZE }, (_, n) => {
      const first = FIRST[n % FIRST.length] ?? "user";
      const last = LAST[Math.floor(n / FIRST.length) % LAST.length] ?? "name";
      const stable = new Random(hashInts(n, hashString(tenantId), 17));
      return {
        upn: `${first}.${last}@${DOMAIN}`,
        puid: `1003200${stable.hex(9).toUpperCase()}`,
        objectId: stable.guid(),
        sid: `S-1-5-21-${1_000_000_000 + (n % 97)}-${2_000_000_000 + (n % 89)}-${3_000_000_000 + (n % 83)}-${40_000 + n}`,
      };
    });
    casts.set(tenantId, cast);
  }
  return cast;
}

/** A tenant has a stable cast of users (computed once): the same person shows up across records and content types. */
function user(random: Random, tenantId: string): User {
  return castOf(tenantId)[random.int(0, CAST_SIZE - 1)] as User;
}

function ipv4(random: Random): string {
  return random.chance(0.5) ? `203.0.113.${random.int(1, 254)}` : `198.51.100.${random.int(1, 254)}`;
}

/** Zone-less, fraction-less UTC: the wire form of CreationTime in every documented sample. */
export function creationTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function common(ctx: RecordContext, recordType: number, operation: string, workload: string, userKey: string, userId: string, userType = 0): Fields {
  return {
    CreationTime: creationTime(ctx.eventMs),
    Id: ctx.id,
    Operation: operation,
    OrganizationId: ctx.tenantId,
    RecordType: recordType,
    UserKey: userKey,
    UserType: userType,
    Version: 1,
    Workload: workload,
    UserId: userId,
  };
}

function azureActiveDirectory(ctx: RecordContext, random: Random): Fields {
  const who = user(random, ctx.tenantId);
  if (random.chance(0.75)) {
    const failed = random.chance(0.15);
    const ip = ipv4(random);
    const app = random.pick(FIRST_PARTY_APPS);
    return {
      ...common(ctx, 15, failed ? "UserLoginFailed" : "UserLoggedIn", "AzureActiveDirectory", who.puid + "@" + TENANT_DOMAIN, who.upn),
      ResultStatus: failed ? "Failed" : "Succeeded",
      ClientIP: ip,
      ObjectId: app,
      AzureActiveDirectoryEventType: 1,
      ExtendedProperties: [
        { Name: "ResultStatusDetail", Value: failed ? "UserError" : "Redirect" },
        { Name: "UserAgent", Value: random.pick(AGENTS) },
        { Name: "RequestType", Value: random.pick(["OAuth2:Authorize", "OAuth2:Token", "Login:login"]) },
      ],
      ModifiedProperties: [],
      Actor: [
        { ID: who.objectId, Type: 0 },
        { ID: who.upn, Type: 5 },
      ],
      ActorContextId: ctx.tenantId,
      ActorIpAddress: ip,
      InterSystemsId: random.guid(),
      IntraSystemId: random.guid(),
      Target: [{ ID: app, Type: 0 }],
      TargetContextId: ctx.tenantId,
      ApplicationId: app,
      // The schema types ErrorCode as a number, yet it arrives as a string.
      ErrorCode: failed ? random.pick(["50126", "50053", "50074"]) : "0",
    };
  }
  const target = user(random, ctx.tenantId);
  const operation = random.pick(["Add user.", "Update user.", "Add member to role.", "Reset user password."]);
  return {
    ...common(ctx, 8, operation, "AzureActiveDirectory", `${who.puid}@${TENANT_DOMAIN}`, who.upn, 0),
    ResultStatus: "Success",
    ObjectId: target.upn,
    AzureActiveDirectoryEventType: 1,
    ExtendedProperties: [
      { Name: "additionalDetails", Value: JSON.stringify({ UserType: "Member" }) },
      { Name: "extendedAuditEventCategory", Value: "User" },
    ],
    ModifiedProperties: operation === "Add member to role." ? [{ Name: "Role.DisplayName", NewValue: "Global Reader", OldValue: "" }] : [],
    Actor: [
      { ID: who.upn, Type: 5 },
      { ID: who.objectId, Type: 2 },
    ],
    ActorContextId: ctx.tenantId,
    InterSystemsId: random.guid(),
    IntraSystemId: random.guid(),
    Target: [
      { ID: `User_${target.objectId}`, Type: 2 },
      { ID: target.upn, Type: 5 },
    ],
    TargetContextId: ctx.tenantId,
  };
}

function exchange(ctx: RecordContext, random: Random): Fields {
  const who = user(random, ctx.tenantId);
  const ip = ipv4(random);
  const server = `PH0PR11MB${random.int(1000, 9999)} (15.20.${random.int(7000, 7999)}.020)`;
  const roll = random.next();
  if (roll < 0.6) {
    const count = random.int(1, 12);
    return {
      ...common(ctx, 50, "MailItemsAccessed", "Exchange", who.puid, who.upn),
      ResultStatus: "Succeeded",
      ClientIP: ip,
      AppId: random.pick(FIRST_PARTY_APPS),
      ClientAppId: "",
      ClientIPAddress: ip,
      ClientInfoString: random.pick(["Client=OWA;Action=ViaProxy", "Client=REST;Client=RESTSystem;", "Client=MSExchangeRPC"]),
      ExternalAccess: false,
      InternalLogonType: 0,
      // Enums arrive as numbers or as numeric strings depending on the pipeline.
      LogonType: random.chance(0.2) ? "0" : 0,
      LogonUserSid: who.sid,
      MailboxGuid: random.guid(),
      MailboxOwnerSid: who.sid,
      MailboxOwnerUPN: who.upn,
      OperationProperties: [
        { Name: "MailAccessType", Value: random.pick(["Bind", "Sync"]) },
        { Name: "IsThrottled", Value: "False" },
      ],
      OrganizationName: TENANT_DOMAIN,
      OriginatingServer: server,
      SessionId: random.guid(),
      OperationCount: random.chance(0.3) ? String(count) : count,
      Folders: [
        {
          Id: `LgAAAAD${random.hex(24)}`,
          Path: "\\Inbox",
          FolderItems: [{ InternetMessageId: `<${random.hex(16).toUpperCase()}@${TENANT_DOMAIN}>`, SizeInBytes: random.int(2_000, 900_000) }],
        },
      ],
    };
  }
  if (roll < 0.9) {
    const operation = random.pick(["Send", "MoveToDeletedItems", "SoftDelete", "Update"]);
    return {
      ...common(ctx, 2, operation, "Exchange", who.puid, who.upn),
      ResultStatus: "Succeeded",
      ClientIP: ip,
      ClientIPAddress: ip,
      ClientInfoString: "Client=OWA;Action=ViaProxy",
      ExternalAccess: false,
      InternalLogonType: 0,
      LogonType: 0,
      LogonUserSid: who.sid,
      MailboxGuid: random.guid(),
      MailboxOwnerSid: who.sid,
      MailboxOwnerUPN: who.upn,
      OrganizationName: TENANT_DOMAIN,
      OriginatingServer: server,
      Item: { Id: `RgAAAAD${random.hex(32)}`, ParentFolder: { Path: "\\Sent Items" }, Subject: "Quarterly numbers", SizeInBytes: random.int(2_000, 500_000) },
    };
  }
  const rule = random.pick(["Move to RSS", "Forward all", "Cleanup"]);
  return {
    ...common(ctx, 1, "New-InboxRule", "Exchange", who.puid, who.upn, 2),
    ResultStatus: "True",
    ClientIP: `[${ip}]:${random.int(1024, 65535)}`,
    ObjectId: `${who.upn}\\${rule}`,
    ExternalAccess: false,
    OrganizationName: TENANT_DOMAIN,
    OriginatingServer: server,
    Parameters: [
      { Name: "Name", Value: rule },
      { Name: "MoveToFolder", Value: "RSS Feeds" },
      { Name: "DeleteMessage", Value: "True" },
      { Name: "StopProcessingRules", Value: "True" },
    ],
  };
}

function sharePoint(ctx: RecordContext, random: Random): Fields {
  const who = user(random, ctx.tenantId);
  const oneDrive = random.chance(0.3);
  const site = oneDrive
    ? `https://fabrikam-my.sharepoint.com/personal/${who.upn.replace(/[.@]/g, "_")}/`
    : `https://fabrikam.sharepoint.com/sites/${random.pick(SITES)}/`;
  const file = random.pick(FILES);
  const library = oneDrive ? "Documents" : "Shared Documents";
  const sharing = random.chance(0.15);
  const operation = sharing
    ? random.pick(["SharingSet", "AnonymousLinkCreated", "SharingInvitationCreated"])
    : random.pick(["FileAccessed", "FileDownloaded", "FileModified", "FileUploaded", "FilePreviewed"]);
  return {
    ...common(ctx, sharing ? 14 : 6, operation, oneDrive ? "OneDrive" : "SharePoint", `i:0h.f|membership|${who.puid.toLowerCase()}@live.com`, who.upn),
    ClientIP: ipv4(random),
    ObjectId: `${site}${library}/${file}`,
    CorrelationId: random.guid(),
    // The schema calls these enums; they arrive as names.
    EventSource: "SharePoint",
    ItemType: "File",
    ListId: random.guid(),
    ListItemUniqueId: random.guid(),
    Site: random.guid(),
    WebId: random.guid(),
    SiteUrl: site,
    SourceRelativeUrl: library,
    SourceFileName: file,
    SourceFileExtension: file.slice(file.lastIndexOf(".") + 1),
    UserAgent: random.pick(AGENTS),
    ...(sharing
      ? {
          TargetUserOrGroupName: random.chance(0.5) ? "Anyone" : `guest_${random.int(1, 99)}@partner.example`,
          TargetUserOrGroupType: random.pick(["Guest", "Member", "Anonymous"]),
        }
      : {}),
  };
}

function general(ctx: RecordContext, random: Random): Fields {
  const who = user(random, ctx.tenantId);
  const roll = random.next();
  if (roll < 0.5) {
    return {
      ...common(ctx, 25, random.pick(["MessageSent", "MemberAdded", "TeamsSessionStarted", "ChannelAdded"]), "MicrosoftTeams", who.objectId, who.upn),
      ClientIP: ipv4(random),
      AADGroupId: random.guid(),
      CommunicationType: random.pick(["Team", "GroupChat", "OneOnOne"]),
      TeamName: `${random.pick(SITES)} team`,
      TeamGuid: `19:${random.hex(32)}@thread.tacv2`,
      ChatThreadId: `19:${random.hex(32)}@thread.v2`,
      ItemName: "General",
    };
  }
  if (roll < 0.75) {
    return {
      ...common(ctx, 20, random.pick(["ViewReport", "ExportReport", "ViewDashboard"]), "PowerBI", who.puid, who.upn),
      ClientIP: ipv4(random),
      UserAgent: random.pick(AGENTS),
      Activity: "ViewReport",
      ItemName: `${random.pick(SITES)} KPIs`,
      WorkSpaceName: random.pick(SITES),
      DatasetName: "Sales",
      ReportName: `${random.pick(SITES)} KPIs`,
      WorkspaceId: random.guid(),
      ObjectId: `${random.pick(SITES)} KPIs`,
      DatasetId: random.guid(),
      ReportId: random.guid(),
      IsSuccess: true,
      RequestId: random.guid(),
    };
  }
  if (roll < 0.9) {
    return {
      ...common(ctx, 261, "CopilotInteraction", "Copilot", who.objectId, who.upn),
      ClientIP: ipv4(random),
      AppIdentity: "Copilot.MicrosoftCopilot.BizChat",
      CopilotEventData: {
        AppHost: random.pick(["Bizchat", "Word", "Teams"]),
        Contexts: [{ Id: `https://fabrikam.sharepoint.com/sites/${random.pick(SITES)}/`, Type: "SharePointSite" }],
        ThreadId: `19:${random.hex(24)}@thread.v2`,
        AccessedResources: [],
        Messages: [{ Id: String(random.int(1_700_000_000_000, 1_800_000_000_000)), isPrompt: true }],
      },
    };
  }
  return {
    ...common(ctx, 66, random.pick(["ViewResponses", "CreateForm", "EditForm"]), "MicrosoftForms", who.puid, who.upn),
    ClientIP: ipv4(random),
    FormId: random.hex(40),
    FormName: "Team offsite survey",
    FormsUserType: random.pick(["Admin", "Owner", "Responder"]),
    SourceApp: "Microsoft Forms",
  };
}

function dlp(ctx: RecordContext, random: Random): Fields {
  const who = user(random, ctx.tenantId);
  const inExchange = random.chance(0.5);
  const operation = random.chance(0.85) ? "DlpRuleMatch" : random.pick(["DlpRuleUndo", "DlpInfo"]);
  const sensitive = random.pick([
    { id: "50842eb7-edc8-4019-85dd-5a5c1f2bb085", name: "Credit Card Number" },
    { id: "a44669fe-0d48-453d-a9b1-2cc83f2cba77", name: "U.S. Social Security Number (SSN)" },
    { id: "e55e2a32-f92d-4985-a35d-a0b269eb687b", name: "International Banking Account Number (IBAN)" },
  ]);
  const count = random.int(1, 40);
  const policy = {
    PolicyId: random.guid(),
    PolicyName: "Financial data",
    Rules: [
      {
        RuleId: random.guid(),
        RuleName: "Low volume of financial data",
        Actions: ["NotifyUser"],
        Severity: random.pick(["Low", "Medium", "High"]),
        ConditionsMatched: {
          SensitiveInformation: [
            { Confidence: 85, Count: count, SensitiveInformationTypeName: sensitive.name, SensitiveType: sensitive.id, UniqueCount: random.int(1, count) },
          ],
        },
        ManagementRuleId: random.guid(),
      },
    ],
  };
  const base = {
    ...common(ctx, inExchange ? 13 : 11, operation, inExchange ? "Exchange" : "SharePoint", "DlpAgent", who.upn),
    ObjectId: inExchange
      ? `<${random.hex(16).toUpperCase()}@${TENANT_DOMAIN}>`
      : `https://fabrikam.sharepoint.com/sites/Finance/Shared Documents/${random.pick(FILES)}`,
    IncidentId: random.guid(),
    PolicyDetails: [policy],
    SensitiveInfoDetectionIsIncluded: true,
  };
  if (inExchange) {
    return {
      ...base,
      ExchangeMetaData: {
        MessageID: base.ObjectId,
        From: who.upn,
        To: [`partner${random.int(1, 9)}@example.org`],
        CC: [],
        BCC: [],
        Subject: "Invoice details",
        Sent: creationTime(ctx.eventMs),
        RecipientCount: 1,
        UniqueID: random.guid(),
      },
    };
  }
  return {
    ...base,
    SharePointMetaData: {
      From: who.upn,
      itemCreationTime: creationTime(ctx.eventMs - 86_400_000),
      SiteCollectionGuid: random.guid(),
      SiteCollectionUrl: "https://fabrikam.sharepoint.com/sites/Finance",
      FileName: random.pick(FILES),
      FileOwner: who.upn,
      FilePathUrl: base.ObjectId,
      UniqueID: random.guid(),
    },
  };
}

const GENERATORS: Readonly<Record<ContentType, (ctx: RecordContext, random: Random) => Fields>> = {
  "Audit.AzureActiveDirectory": azureActiveDirectory,
  "Audit.Exchange": exchange,
  "Audit.SharePoint": sharePoint,
  "Audit.General": general,
  "DLP.All": dlp,
};

/** One audit record with the real shape of its content type: common schema plus workload fields. */
export function generateRecord(contentType: ContentType, ctx: RecordContext): Fields {
  return GENERATORS[contentType](ctx, new Random(ctx.seed));
}
