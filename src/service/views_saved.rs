//! Saved views: a queue tab and a filter line under a name, personal or
//! shared by a supervisor, each listed with how many tickets it holds now.

use serde::{Deserialize, Serialize};

use super::{Ctx, Done, Operation, Prepared, QueueView, Service, ServiceError, TicketFilter, audit_json, not_found};
use crate::domain::permission::{Action, Role};
use crate::domain::record::RecordMeta;
use crate::domain::saved_view::{MAX_VIEWS, SavedView, check_filter_length, check_view_name};
use crate::store::Change;

/// Saves (or replaces) a view. `shared` views are a supervisor's, for everyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveView {
    pub name: String,
    pub queue: QueueView,
    pub filter: String,
    pub shared: bool,
}

impl Operation for SaveView {
    type Answer = Done<SavedView>;
    const NAME: &'static str = "view.save";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<SavedView>, ServiceError> {
        let me = service.authorise(ctx, Action::View)?;
        if self.shared && me.role != Role::Supervisor {
            return Err(crate::domain::permission::Denied(
                "only a supervisor shares views with everyone: save it as your own instead".into(),
            )
            .into());
        }
        let name = check_view_name(&self.name).map_err(|e| ServiceError::BadInput(e.to_string()))?;
        check_filter_length(&self.filter).map_err(|e| ServiceError::BadInput(e.to_string()))?;
        // Kept as it reads back, so the view shows what the operator meant.
        let filter = TicketFilter::parse(&self.filter)?.to_string();
        let owner = (!self.shared).then(|| ctx.operator.clone());
        let old = service.store.saved_view(owner.as_deref(), &name)?;
        let mine = service.store.saved_views(&ctx.operator, MAX_VIEWS * 2 + 1)?;
        let same_kind = mine.iter().filter(|v| v.owner == owner).count();
        if old.is_none() && same_kind >= MAX_VIEWS {
            return Err(ServiceError::BadInput(format!("{MAX_VIEWS} views is the most kept: remove one first")));
        }
        let meta = match &old {
            Some(o) => o.meta.next(&ctx.operator, ctx.now),
            None => RecordMeta::created(&ctx.operator, ctx.now),
        };
        let view = SavedView { name, owner, queue: queue_slug(&self.queue), filter, meta };
        let (_, entry) = service.run(ctx, || {
            let mut change = Change::new();
            change.put(old.as_ref(), &view)?;
            Ok(Prepared {
                change,
                subject: format!("view {}", crate::store::Record::label(&view)),
                before: old.as_ref().and_then(audit_json),
                after: audit_json(&view),
                result: (),
            })
        })?;
        Ok(Done::new(format!("view {} saved", view.name), view, &entry))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveView {
    pub name: String,
    pub shared: bool,
}

impl Operation for RemoveView {
    type Answer = Done<SavedView>;
    const NAME: &'static str = "view.remove";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<SavedView>, ServiceError> {
        let me = service.authorise(ctx, Action::View)?;
        if self.shared && me.role != Role::Supervisor {
            return Err(crate::domain::permission::Denied("only a supervisor removes a shared view".into()).into());
        }
        let owner = (!self.shared).then(|| ctx.operator.clone());
        let old = service.store.saved_view(owner.as_deref(), self.name.trim())?.ok_or_else(|| {
            not_found("view", self.name.trim().to_owned(), "see yours and the shared ones with `caredesk view list`")
        })?;
        let (_, entry) = service.run(ctx, || {
            let mut change = Change::new();
            change.remove(&old);
            Ok(Prepared {
                change,
                subject: format!("view {}", crate::store::Record::label(&old)),
                before: audit_json(&old),
                after: None,
                result: (),
            })
        })?;
        Ok(Done::new(format!("view {} removed", old.name), old, &entry))
    }
}

/// The caller's views and the shared ones, each with its count now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListViews {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewCount {
    pub view: SavedView,
    /// `None` when the saved words no longer read (the view says why).
    pub count: Option<usize>,
    pub problem: Option<String>,
}

impl Operation for ListViews {
    type Answer = Vec<ViewCount>;
    const NAME: &'static str = "view.list";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<ViewCount>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        let mut out = Vec::new();
        for view in service.store.saved_views(&ctx.operator, MAX_VIEWS)? {
            let counted = view
                .queue
                .parse::<QueueView>()
                .and_then(|q| Ok((q, TicketFilter::parse(&view.filter)?)))
                .and_then(|(q, f)| service.ticket_slots_at(&ctx.operator, &q, &f, ctx.now));
            match counted {
                Ok(slots) => out.push(ViewCount { view, count: Some(slots.len()), problem: None }),
                Err(e) => out.push(ViewCount { view, count: None, problem: Some(e.to_string()) }),
            }
        }
        Ok(out)
    }
}

fn queue_slug(q: &QueueView) -> String {
    match q {
        QueueView::Queue(q) => q.slug().to_owned(),
        QueueView::Mine => "mine".to_owned(),
        QueueView::All => "all".to_owned(),
    }
}
