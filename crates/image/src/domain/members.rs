//! Image members: an owner offers a shared image to other projects, each of which
//! accepts, rejects or leaves it pending. Only the member answers; only the owner
//! (or an administrator) adds and removes members.

use common::RequestContext;
use common::time::now_micros;

use super::images::Visible;
use super::policy::image_target;
use super::{Error, Images, Result};
use crate::store::{MemberRow, StoreError};

/// What a member may answer.
pub const MEMBER_STATUSES: [&str; 3] = ["pending", "accepted", "rejected"];
/// Most members one image may have (`image_member_quota`).
pub const MAX_MEMBERS: usize = 128;

impl Images {
    /// A visible image that can have members: only shared images do (403 otherwise).
    async fn shared(&self, ctx: &RequestContext, image_id: &str) -> Result<Visible> {
        let seen = self.visible(ctx, image_id).await?;
        if seen.image.visibility != "shared" {
            return Err(Error::Forbidden("Only shared images have members.".into()));
        }
        Ok(seen)
    }

    /// Refuses anyone but the image's owner or an administrator. Glance checks this in
    /// its authorization layer besides the policy, so a policy override that widens
    /// `add_member` or `delete_member` still does not let other projects manage an
    /// image's members; the same holds here.
    fn owner_only(&self, ctx: &RequestContext, seen: &Visible, what: &str) -> Result<()> {
        if self.is_admin(ctx)? || self.owns(ctx, &seen.image) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("Only the owner of image {} may {what} its members.", seen.image.id)))
        }
    }

    /// Offers a shared image to project `member`; the membership starts pending.
    pub async fn add_member(&self, ctx: &RequestContext, image_id: &str, member: &str) -> Result<MemberRow> {
        let seen = self.shared(ctx, image_id).await?;
        self.enforce(ctx, "add_member", &image_target(&seen.image, Some(member)))?;
        self.owner_only(ctx, &seen, "add")?;
        if member.is_empty() || member.chars().count() > 255 {
            return Err(Error::BadRequest("A member is a project id of 1 to 255 characters.".into()));
        }
        let now = now_micros();
        let row = MemberRow {
            image_id: image_id.to_owned(),
            member: member.to_owned(),
            status: "pending".into(),
            created_at: now,
            updated_at: now,
        };
        match self.store.add_member(&row, MAX_MEMBERS).await {
            Ok(true) => Ok(row),
            Ok(false) => Err(Error::TooLarge(format!(
                "The limit has been exceeded on the number of allowed image members for this image. Maximum: {MAX_MEMBERS}"
            ))),
            Err(StoreError::Duplicate) => Err(Error::Conflict(format!("Member {member} already associated with image {image_id}"))),
            Err(e) => Err(e.into()),
        }
    }

    /// A shared image's members as `ctx` may see them: all of them for the owner and
    /// administrators, only its own membership for a member.
    pub async fn list_members(&self, ctx: &RequestContext, image_id: &str) -> Result<Vec<MemberRow>> {
        let seen = self.shared(ctx, image_id).await?;
        self.enforce(ctx, "get_members", &seen.target())?;
        if self.is_admin(ctx)? || self.owns(ctx, &seen.image) {
            return Ok(self.store.list_members(image_id).await?);
        }
        Ok(seen.membership.into_iter().collect())
    }

    /// One membership, for the owner, an administrator or the member itself; anyone
    /// else, and any image that cannot have members, is told it does not exist.
    pub async fn get_member(&self, ctx: &RequestContext, image_id: &str, member: &str) -> Result<MemberRow> {
        let not_found = || Error::NotFound(format!("Member {member} not found for image {image_id}"));
        let seen = self.shared(ctx, image_id).await.map_err(|e| if matches!(e, Error::Forbidden(_)) { not_found() } else { e })?;
        let mine = ctx.project_id() == Some(member);
        if !(mine || self.is_admin(ctx)? || self.owns(ctx, &seen.image))
            || !self.allowed(ctx, "get_member", &image_target(&seen.image, Some(member)))?
        {
            return Err(not_found());
        }
        self.store.get_member(image_id, member).await?.ok_or_else(not_found)
    }

    /// A member's answer: only the member itself (or an administrator) gives it.
    pub async fn update_member(&self, ctx: &RequestContext, image_id: &str, member: &str, status: &str) -> Result<MemberRow> {
        let seen = self.shared(ctx, image_id).await?;
        let not_found = || Error::NotFound(format!("Member {member} not found for image {image_id}"));
        let admin = self.is_admin(ctx)?;
        let mine = ctx.project_id() == Some(member);
        if !(mine || admin || self.owns(ctx, &seen.image)) {
            return Err(not_found());
        }
        let mut row = self.store.get_member(image_id, member).await?.ok_or_else(not_found)?;
        self.enforce(ctx, "modify_member", &image_target(&seen.image, Some(member)))?;
        // As in Glance's authorization layer, whatever the policy says.
        if !mine && !admin {
            return Err(Error::Forbidden(format!("Only project {member} may change the status of its membership of image {image_id}.")));
        }
        if !MEMBER_STATUSES.contains(&status) {
            return Err(Error::BadRequest(format!("Invalid status {status:?}: it must be one of {}.", MEMBER_STATUSES.join(", "))));
        }
        row.status = status.to_owned();
        row.updated_at = now_micros();
        if !self.store.set_member_status(image_id, member, status, row.updated_at).await? {
            return Err(not_found());
        }
        Ok(row)
    }

    /// Ends a membership; only the owner or an administrator may.
    pub async fn delete_member(&self, ctx: &RequestContext, image_id: &str, member: &str) -> Result<()> {
        let seen = self.shared(ctx, image_id).await?;
        let not_found = || Error::NotFound(format!("Member {member} not found for image {image_id}"));
        self.store.get_member(image_id, member).await?.ok_or_else(not_found)?;
        self.enforce(ctx, "delete_member", &image_target(&seen.image, Some(member)))?;
        self.owner_only(ctx, &seen, "remove")?;
        if !self.store.delete_member(image_id, member).await? {
            return Err(not_found());
        }
        Ok(())
    }
}
