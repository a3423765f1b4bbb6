//! The staff directory's contract. The directory is not the table's, so it is checked apart:
//! the caller seeds [`SEEDED`] into a group of its own (in this order, `dept-…` or any name)
//! and runs [`staff_directory`] with that group's name.

use crate::ports::StaffDirectory;

/// The users a checked group holds, as the caller adds them (not in name order).
pub const SEEDED: [&str; 3] = ["contract-cy", "contract-ana", "contract-bo"];

/// Members come ordered by user name, at most the limit; a group nobody made has none.
pub async fn staff_directory(directory: &dyn StaffDirectory, group: &str) {
    let names =
        |members: Vec<crate::ports::StaffMember>| members.into_iter().map(|m| m.username).collect::<Vec<_>>();
    let all = directory.members(group, 10).await.map(names);
    assert_eq!(all.ok(), Some(vec!["contract-ana".to_owned(), "contract-bo".into(), "contract-cy".into()]));
    let two = directory.members(group, 2).await.map(names);
    assert_eq!(two.ok(), Some(vec!["contract-ana".to_owned(), "contract-bo".into()]), "cut at the limit");
    let none = directory.members(&format!("{group}-nobody-made"), 10).await.map(names);
    assert_eq!(none.ok(), Some(Vec::new()), "a group nobody made has no members");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryDirectory;

    #[tokio::test]
    async fn the_memory_directory_keeps_the_contract() {
        let directory = MemoryDirectory::default();
        for user in SEEDED {
            directory.add("dept-CONTRACT", crate::ports::StaffMember { username: user.into(), name: None });
        }
        directory.add("admin", crate::ports::StaffMember { username: "contract-zed".into(), name: None });
        staff_directory(&directory, "dept-CONTRACT").await;
    }
}
