//! `MemoryDirectory`: staff groups and their members, in memory.

use super::lock;
use crate::ports::{StaffDirectory, StaffMember, StoreError};
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// Groups and their members, as a user pool keeps them.
#[derive(Default)]
pub struct MemoryDirectory {
    groups: Mutex<BTreeMap<String, BTreeSet<StaffMember>>>,
}

impl MemoryDirectory {
    /// A directory of `(user, groups)`, each user without a display name.
    pub fn of(users: &[(&str, &[&str])]) -> Self {
        let directory = Self::default();
        for (user, groups) in users {
            for group in *groups {
                directory.add(group, StaffMember { username: (*user).to_owned(), name: None });
            }
        }
        directory
    }

    /// Puts `member` in `group` (made if new); a member already there is replaced.
    pub fn add(&self, group: &str, member: StaffMember) {
        let mut groups = lock(&self.groups);
        let members = groups.entry(group.to_owned()).or_default();
        members.retain(|m| m.username != member.username);
        members.insert(member);
    }
}

#[async_trait]
impl StaffDirectory for MemoryDirectory {
    async fn members(&self, group: &str, limit: usize) -> Result<Vec<StaffMember>, StoreError> {
        Ok(lock(&self.groups).get(group).map(|m| m.iter().take(limit).cloned().collect()).unwrap_or_default())
    }
}
