//! The staff directory over HTTP against the local stack (the user pool's members by group),
//! who may read it, and the Cognito adapter held to the directory contract on the
//! emulator's user pool.

use reqwest::Method;
use serde_json::{Value, json};
use town311_tests::{TestStack, spawn};

async fn directory(stack: &TestStack, token: Option<&str>, query: &str) -> (u16, Value) {
    let answer = stack.staff(Method::GET, &format!("/staff/v1/directory{query}"), token, &[], None).await;
    (answer.status, serde_json::from_str(&answer.body).unwrap_or(Value::Null))
}

fn department<'a>(answer: &'a Value, code: &str) -> &'a Value {
    answer["departments"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["code"] == code))
        .unwrap_or(&Value::Null)
}

fn names(members: &Value) -> Vec<&str> {
    members.as_array().map(|m| m.iter().filter_map(|m| m["username"].as_str()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn the_directory_lists_the_pools_members_by_group_to_staff_only() {
    let stack = spawn().await;
    for (user, group) in [("ana", "dept-DPW"), ("dee", "dept-DPW"), ("sam", "dept-SAN"), ("ad", "admin")] {
        stack.token(user, &[group]).await;
    }
    let newcomer = format!("new-{}", std::process::id());
    stack.token(&newcomer, &["dept-PARKS"]).await;
    let clerk = stack.token("bo", &["dept-DPW"]).await;
    let (status, answer) = directory(&stack, Some(&clerk), "").await;
    assert_eq!(status, 200, "{answer}");
    let dpw = department(&answer, "DPW");
    assert_eq!(dpw["name"], "Public Works");
    for user in ["ana", "bo", "dee"] {
        assert!(names(&dpw["members"]).contains(&user), "{user} works DPW: {dpw}");
    }
    assert!(!names(&dpw["members"]).contains(&"sam"), "sam works SAN: {dpw}");
    let san = department(&answer, "SAN");
    assert_eq!(san["name"], "Sanitation");
    assert!(san.get("members").is_none(), "a clerk of DPW sees SAN's name only: {san}");
    assert!(names(&answer["admins"]).contains(&"ad"), "{answer}");

    let viewer = stack.token("vi", &["viewer"]).await;
    let (_, answer) = directory(&stack, Some(&viewer), "").await;
    assert!(names(&department(&answer, "SAN")["members"]).contains(&"sam"), "{answer}");
    let (status, answer) = directory(&stack, Some(&viewer), "?department=PARKS").await;
    assert_eq!(status, 200);
    let listed =
        answer["departments"].as_array().unwrap().iter().filter(|d| d.get("members").is_some()).count();
    assert_eq!(listed, 1, "{answer}");

    // Whoever the pool puts in a department's group is listed in it.
    assert!(names(&department(&answer, "PARKS")["members"]).contains(&newcomer.as_str()), "{answer}");

    // Refused without a staff sign-in, outside the caller's departments, for no department.
    let (status, answer) = directory(&stack, None, "").await;
    assert_eq!((status, answer), (401, json!({"message": "Unauthorized"})));
    let citizen = stack.token("cit", &[]).await;
    assert_eq!(directory(&stack, Some(&citizen), "").await.0, 403);
    assert_eq!(directory(&stack, Some(&clerk), "?department=SAN").await.0, 403);
    assert_eq!(directory(&stack, Some(&viewer), "?department=NOPE").await.0, 404);
}

#[tokio::test]
async fn the_cognito_directory_keeps_the_contract() {
    use town311::adapters::contract::directory::{SEEDED, staff_directory};
    let stack = spawn().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&stack.stack.sdk);
    let pool = cognito
        .create_user_pool()
        .pool_name(format!("{}-directory", stack.stack.provisioned.table))
        .send()
        .await
        .unwrap()
        .user_pool
        .and_then(|p| p.id)
        .unwrap();
    let group = "dept-CONTRACT";
    cognito.create_group().user_pool_id(&pool).group_name(group).send().await.unwrap();
    for user in SEEDED {
        cognito.admin_create_user().user_pool_id(&pool).username(user).send().await.unwrap();
        cognito
            .admin_add_user_to_group()
            .user_pool_id(&pool)
            .username(user)
            .group_name(group)
            .send()
            .await
            .unwrap();
    }
    let directory = town311::adapters::aws::directory::CognitoDirectory::new(&stack.stack.sdk, &pool);
    staff_directory(&directory, group).await;
}
