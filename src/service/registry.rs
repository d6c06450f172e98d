//! Every operation the service answers, once.
//!
//! Adding an operation: write its struct and `impl Operation` beside the
//! rule it applies, then name it here. The daemon's protocol, the console's
//! forms and the replay carry it as a [`Request`] from then on, and a desk
//! hands its own answer back (see `operation.rs`).

use serde::{Deserialize, Serialize};

use super::operation::{Operation, Registered, operations};
use super::{Ctx, Service, ServiceError};

operations! {
    changes {
        Init in operators,
        AddOperator in operators,
        SetOperatorRole in operators,
        SetOperatorEnabled in operators,
        SetTargets in operators,
        SetSmsCommand in operators,
        ImportCalendar in operators,
        AddOrganisation in orgs,
        SetIgStatus in orgs,
        CloseOrganisation in orgs,
        CreateAccount in accounts,
        RecordLogin in accounts,
        RecordPasswordChange in accounts,
        RecordLock in accounts,
        Unlock in accounts,
        ResetPassword in accounts,
        MarkLeaver in accounts,
        Joiner in accounts,
        SetMobileHidden in accounts,
        TransferAdministration in accounts,
        CreateMailbox in mailboxes,
        AddMember in mailboxes,
        RemoveMember in mailboxes,
        ChangeOwner in mailboxes,
        RecordMailboxAccess in mailboxes,
        CreateTicket in tickets,
        Claim in tickets,
        Assign in tickets,
        SetStatus in tickets,
        Note in tickets,
        Reply in tickets,
        Link in tickets,
        Sweep in sweep,
        TakeInMail in mail,
        SetMailSettings in mail_out,
        RetryMail in mail_out,
        MailDelivery in mail_out,
        BulkTickets in bulk,
        Undo in bulk,
        Unclaim in bulk,
        Relink in bulk,
        AddText in texts,
        EditText in texts,
        RemoveText in texts,
        SeedTexts in texts,
        SaveView in views_saved,
        RemoveView in views_saved,
        SetDueSoon in report,
    }
    reads {
        ShowShift in views,
        ShowOrganisation in views,
        ShowOperator in operators,
        ShowAccount in views,
        ShowMailbox in views,
        ShowTicket in views,
        ShowTicketDetail in views,
        PreviewRoute in views,
        ListOperators in views,
        ListAudit in views,
        VerifyAudit in views,
        ListOutbox in views,
        ShowPolicy in views,
        FindAccounts in search,
        FindMailboxes in search,
        LikelyDuplicates in search,
        MailboxOwners in search,
        ListTickets in queue,
        ListTicketSlots in queue,
        ReadTicketRows in queue,
        PreviewBulk in bulk,
        ListTexts in texts,
        ShowText in texts,
        RenderText in texts,
        ListViews in views_saved,
        ListSlaWarnings in report,
        ListBreaches in report,
        ShowDashboard in report,
    }
}
