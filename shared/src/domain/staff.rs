//! Who a staff member is and what they may see and do, from the claims of their sign-in token.
//!
//! Groups (Cognito user pool groups, `cognito:groups`): `admin` sees and does everything;
//! `dept-<CODE>` works one department's tickets; `viewer` reads every department and changes
//! nothing (a viewer who is also in a department group may work that department).

use std::collections::{BTreeSet, HashMap};

/// A signed-in staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The account name, recorded in history.
    pub user: String,
    pub admin: bool,
    pub viewer: bool,
    /// Department codes they work.
    pub departments: BTreeSet<String>,
}

/// The prefix of department groups.
pub const DEPARTMENT_GROUP_PREFIX: &str = "dept-";

impl Caller {
    /// Reads the claims API Gateway passes (every value a string; arrays arrive as
    /// `[a b]`). None without a user name.
    pub fn from_claims(claims: &HashMap<String, String>) -> Option<Self> {
        let user = ["cognito:username", "username", "sub"]
            .iter()
            .find_map(|k| claims.get(*k).map(|v| v.trim()).filter(|v| !v.is_empty()))?
            .to_owned();
        let groups: Vec<String> = claims
            .get("cognito:groups")
            .map(|raw| {
                raw.trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .map(|g| g.trim().trim_matches('"'))
                    .filter(|g| !g.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            user,
            admin: groups.iter().any(|g| g == "admin"),
            viewer: groups.iter().any(|g| g == "viewer"),
            departments: groups
                .iter()
                .filter_map(|g| g.strip_prefix(DEPARTMENT_GROUP_PREFIX))
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }

    /// Whether they are in any staff group (admin, viewer or a department).
    pub fn is_staff(&self) -> bool {
        self.admin || self.viewer || !self.departments.is_empty()
    }

    pub fn can_read(&self, department: &str) -> bool {
        self.admin || self.viewer || self.departments.contains(department)
    }

    /// The departments they may read, `None` when they read every one.
    pub fn readable_departments(&self) -> Option<&BTreeSet<String>> {
        if self.admin || self.viewer { None } else { Some(&self.departments) }
    }

    pub fn can_write(&self, department: &str) -> bool {
        self.admin || self.departments.contains(department)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    #[test]
    fn reads_groups_as_api_gateway_renders_them() {
        let c = Caller::from_claims(&claims(&[("username", "ana"), ("cognito:groups", "[dept-DPW viewer]")]))
            .unwrap();
        assert_eq!(c.user, "ana");
        assert!(c.viewer && !c.admin);
        assert_eq!(c.departments, BTreeSet::from(["DPW".to_owned()]));
        let c = Caller::from_claims(&claims(&[("sub", "x"), ("cognito:groups", r#"["admin","dept-SAN"]"#)]))
            .unwrap();
        assert!(c.admin && c.departments.contains("SAN"));
    }

    #[test]
    fn departments_limit_what_a_member_may_do() {
        let clerk =
            Caller::from_claims(&claims(&[("username", "bo"), ("cognito:groups", "[dept-DPW]")])).unwrap();
        assert!(clerk.can_read("DPW") && clerk.can_write("DPW"));
        assert!(!clerk.can_read("SAN") && !clerk.can_write("SAN"));
        let viewer =
            Caller::from_claims(&claims(&[("username", "vi"), ("cognito:groups", "[viewer]")])).unwrap();
        assert!(viewer.can_read("SAN") && !viewer.can_write("SAN"));
        let admin =
            Caller::from_claims(&claims(&[("username", "ad"), ("cognito:groups", "[admin]")])).unwrap();
        assert!(admin.can_write("ANY"));
    }

    #[test]
    fn no_user_no_caller() {
        assert_eq!(Caller::from_claims(&claims(&[("cognito:groups", "[admin]")])), None);
        let nobody = Caller::from_claims(&claims(&[("username", "x")])).unwrap();
        assert!(!nobody.can_read("DPW"));
    }
}
