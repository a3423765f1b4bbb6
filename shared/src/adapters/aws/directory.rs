//! The staff directory from the town's Cognito user pool: `ListUsersInGroup`, page by page up
//! to the limit asked for, each call bounded by the function's call timeouts (the SDK
//! configuration the client is built from). A group's members are kept for five minutes per
//! function instance, so a page of pickers opened all day costs one call per group each five
//! minutes, not one per page view.

use crate::ports::{StaffDirectory, StaffMember, StoreError};
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::UserType;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The environment variable naming the user pool (template.yaml's `StaffUserPool`).
pub const POOL_VARIABLE: &str = "STAFF_USER_POOL_ID";

/// The most users one `ListUsersInGroup` call gives (Cognito's own maximum).
const PAGE: usize = 60;
/// How long a group's members are kept before the pool is asked again.
const KEEP: Duration = Duration::from_secs(300);

/// A group's members, when they were asked for and the limit they were asked with.
type Kept = (Instant, usize, Vec<StaffMember>);

/// A Cognito user pool's groups.
pub struct CognitoDirectory {
    client: Client,
    pool_id: String,
    kept: Mutex<HashMap<String, Kept>>,
}

impl CognitoDirectory {
    pub fn new(sdk: &aws_config::SdkConfig, pool_id: &str) -> Self {
        Self { client: Client::new(sdk), pool_id: pool_id.to_owned(), kept: Mutex::new(HashMap::new()) }
    }

    fn kept(&self, group: &str, limit: usize) -> Option<Vec<StaffMember>> {
        let kept = self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (at, asked, members) = kept.get(group)?;
        // A list cut at a smaller limit than asked now does not answer; a whole one does.
        (at.elapsed() < KEEP && (members.len() < *asked || limit <= *asked))
            .then(|| members.iter().take(limit).cloned().collect())
    }

    async fn fetch(&self, group: &str, limit: usize) -> Result<Vec<StaffMember>, StoreError> {
        let mut members = Vec::new();
        let mut next: Option<String> = None;
        // Each page holds up to PAGE users; the loop ends at the limit or the last page.
        for _ in 0..limit.div_ceil(PAGE).max(1) {
            let page = match self
                .client
                .list_users_in_group()
                .user_pool_id(&self.pool_id)
                .group_name(group)
                .limit(i32::try_from(PAGE.min(limit.max(1))).unwrap_or(60))
                .set_next_token(next.take())
                .send()
                .await
            {
                Ok(page) => page,
                Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {
                    return Ok(Vec::new());
                }
                Err(e) => return Err(StoreError::unavailable("ListUsersInGroup", e)),
            };
            members.extend(page.users().iter().filter(|u| u.enabled()).filter_map(member));
            next = page.next_token().map(str::to_owned);
            if next.is_none() || members.len() >= limit {
                break;
            }
        }
        members.sort();
        members.truncate(limit);
        Ok(members)
    }
}

/// A pool user as a directory member: the user name, and the `name` or else `email` attribute.
fn member(user: &UserType) -> Option<StaffMember> {
    let attribute =
        |wanted: &str| user.attributes().iter().find(|a| a.name() == wanted).and_then(|a| a.value());
    Some(StaffMember {
        username: user.username()?.to_owned(),
        name: attribute("name").or_else(|| attribute("email")).map(str::to_owned),
    })
}

#[async_trait]
impl StaffDirectory for CognitoDirectory {
    async fn members(&self, group: &str, limit: usize) -> Result<Vec<StaffMember>, StoreError> {
        if let Some(members) = self.kept(group, limit) {
            return Ok(members);
        }
        let members = self.fetch(group, limit).await?;
        let mut kept = self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.insert(group.to_owned(), (Instant::now(), limit, members.clone()));
        Ok(members)
    }
}

/// Puts `username` in each of `groups` of the pool `pool_id`, creating a group the pool does not
/// have yet (a department's, when its first staff member is added).
pub async fn join_groups(
    client: &Client,
    pool_id: &str,
    username: &str,
    groups: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<(), StoreError> {
    for group in groups {
        let group = group.as_ref();
        match client.create_group().user_pool_id(pool_id).group_name(group).send().await {
            Err(e) if !e.as_service_error().is_some_and(|s| s.is_group_exists_exception()) => {
                return Err(StoreError::unavailable("CreateGroup", e));
            }
            _ => {}
        }
        client
            .admin_add_user_to_group()
            .user_pool_id(pool_id)
            .username(username)
            .group_name(group)
            .send()
            .await
            .map_err(|e| StoreError::unavailable("AdminAddUserToGroup", e))?;
    }
    Ok(())
}

/// The directory of a deployment without a user pool named to it: no groups, no members.
pub struct NoDirectory;

#[async_trait]
impl StaffDirectory for NoDirectory {
    async fn members(&self, _group: &str, _limit: usize) -> Result<Vec<StaffMember>, StoreError> {
        Ok(Vec::new())
    }
}
