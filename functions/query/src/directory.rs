//! `GET /staff/v1/directory`: the town's departments (code and name, every one, for the pickers
//! that re-route a ticket or filter a queue) and who works each one the caller may read (the
//! members of its `dept-<CODE>` group), with the admins, who may work any ticket: the
//! assignee pickers choose from them instead of a typed account name. `?department=<code>`
//! narrows the members to one department.
//!
//! Costs: the departments come from the catalog the function keeps; the members are one
//! `ListUsersInGroup` per group (a page holds 60), kept five minutes by the adapter.

use crate::State;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use town311::domain::staff::{Caller, DEPARTMENT_GROUP_PREFIX};
use town311::http::{self, ApiError};
use town311::ports::StaffMember;

pub const ROUTE: &str = "GET /staff/v1/directory";

/// The most members listed for one group.
pub const MAX_MEMBERS: usize = 200;
/// The group whose members may work every department.
const ADMIN_GROUP: &str = "admin";

#[derive(Serialize)]
struct DepartmentEntry {
    code: String,
    name: String,
    /// Who works it; absent for a department the caller may not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<StaffMember>>,
}

#[derive(Serialize)]
struct Directory {
    departments: Vec<DepartmentEntry>,
    admins: Vec<StaffMember>,
}

pub async fn answer(state: &State, request: &Request, caller: &Caller) -> Result<Response<Body>, ApiError> {
    let named = http::query_parameter(request, "department").map(|d| d.trim().to_owned());
    let departments = state.catalog.departments().await?;
    if let Some(code) = &named {
        if !departments.iter().any(|d| &d.code == code) {
            return Err(ApiError::NotFound(format!("there is no department {code}")));
        }
        if !caller.can_read(code) {
            return Err(ApiError::Forbidden(format!("you do not work department {code}")));
        }
    }
    let mut entries = Vec::with_capacity(departments.len());
    for department in departments {
        let listed =
            caller.can_read(&department.code) && named.as_ref().is_none_or(|n| n == &department.code);
        let members = if listed {
            let group = format!("{DEPARTMENT_GROUP_PREFIX}{}", department.code);
            Some(state.directory.members(&group, MAX_MEMBERS).await?)
        } else {
            None
        };
        entries.push(DepartmentEntry { code: department.code, name: department.name, members });
    }
    let admins = state.directory.members(ADMIN_GROUP, MAX_MEMBERS).await?;
    http::json(StatusCode::OK, &Directory { departments: entries, admins })
}
