//! The staff user pool in the emulator, from template.yaml's own `AWS::Cognito::UserPool`,
//! `UserPoolClient` and `UserPoolGroup` properties (password policy, MFA, the client's auth
//! flows, the groups), and the staff accounts in it: the demo's for `make run`, the tests' own.

use crate::template::Template;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AdminCreateUserConfigType, ExplicitAuthFlowsType, MessageActionType, PasswordPolicyType,
    PreventUserExistenceErrorTypes, SoftwareTokenMfaConfigType, TimeUnitsType, TokenValidityUnitsType,
    UserPoolMfaType, UserPoolPolicyType, UsernameConfigurationType, VerifiedAttributeType,
};
use serde_yaml::{Mapping, Value};

/// The pool as created: what the admin page and the authorizer need of it.
#[derive(Debug, Clone)]
pub struct StaffPool {
    pub pool_id: String,
    /// The app client the admin page signs in through (template.yaml's `UserPoolClient`).
    pub client_id: String,
    pub region: String,
    /// Where the page calls Cognito's API: the emulator here, `https://cognito-idp.<region>.amazonaws.com/` in AWS.
    pub endpoint: String,
}

impl StaffPool {
    /// Who signs the pool's tokens (the `iss` claim; the emulator issues AWS's own form).
    pub fn issuer(&self) -> String {
        format!("https://cognito-idp.{}.amazonaws.com/{}", self.region, self.pool_id)
    }

    /// Where the pool's signing keys are served.
    pub fn jwks_path(&self) -> String {
        format!("/{}/.well-known/jwks.json", self.pool_id)
    }
}

/// A step of creating the pool or an account that the emulator refused.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {reason}")]
pub struct CognitoError {
    pub step: String,
    pub reason: String,
}

fn refused<E: std::error::Error>(step: &str) -> impl FnOnce(E) -> CognitoError + '_ {
    move |error| CognitoError { step: step.to_owned(), reason: town311::runtime::chain(&error) }
}

fn field<'a>(map: &'a Mapping, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let value = map.get(Value::String((*first).to_owned()))?;
    if rest.is_empty() { Some(value) } else { field(value.as_mapping()?, rest) }
}

fn number(map: &Mapping, path: &[&str]) -> Option<i32> {
    field(map, path).and_then(Value::as_i64).and_then(|n| i32::try_from(n).ok())
}

fn flag(map: &Mapping, path: &[&str]) -> Option<bool> {
    field(map, path).and_then(Value::as_bool)
}

fn strings(map: &Mapping, path: &[&str]) -> Vec<String> {
    field(map, path)
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn shape(what: &str) -> CognitoError {
    CognitoError { step: "template.yaml".into(), reason: what.to_owned() }
}

/// Creates the template's user pool (named `name`), its app client and its groups.
pub async fn provision(
    template: &Template,
    sdk: &aws_config::SdkConfig,
    name: &str,
    endpoint: &str,
) -> Result<StaffPool, CognitoError> {
    let cognito = Client::new(sdk);
    let pools = template.resources_of_type("AWS::Cognito::UserPool");
    let [(_, pool)] = pools.as_slice() else { return Err(shape("one AWS::Cognito::UserPool is expected")) };
    let policy = |key: &str| flag(pool, &["Policies", "PasswordPolicy", key]);
    let password_policy = PasswordPolicyType::builder()
        .set_minimum_length(number(pool, &["Policies", "PasswordPolicy", "MinimumLength"]))
        .set_require_lowercase(policy("RequireLowercase"))
        .set_require_uppercase(policy("RequireUppercase"))
        .set_require_numbers(policy("RequireNumbers"))
        .set_require_symbols(policy("RequireSymbols"))
        .set_temporary_password_validity_days(number(
            pool,
            &["Policies", "PasswordPolicy", "TemporaryPasswordValidityDays"],
        ))
        .build();
    let usernames = UsernameConfigurationType::builder()
        .case_sensitive(flag(pool, &["UsernameConfiguration", "CaseSensitive"]).unwrap_or(true))
        .build()
        .map_err(refused("UsernameConfiguration"))?;
    let created = cognito
        .create_user_pool()
        .pool_name(name)
        .policies(UserPoolPolicyType::builder().password_policy(password_policy).build())
        .admin_create_user_config(
            AdminCreateUserConfigType::builder()
                .set_allow_admin_create_user_only(flag(
                    pool,
                    &["AdminCreateUserConfig", "AllowAdminCreateUserOnly"],
                ))
                .build(),
        )
        .username_configuration(usernames)
        .set_auto_verified_attributes(Some(
            strings(pool, &["AutoVerifiedAttributes"])
                .iter()
                .map(|a| VerifiedAttributeType::from(a.as_str()))
                .collect(),
        ))
        .send()
        .await
        .map_err(refused("CreateUserPool"))?;
    let pool_id = created
        .user_pool()
        .and_then(|p| p.id())
        .ok_or_else(|| shape("CreateUserPool gave no pool id"))?
        .to_owned();
    // CloudFormation turns `MfaConfiguration` and `EnabledMfas` into this call.
    let mfa = field(pool, &["MfaConfiguration"]).and_then(Value::as_str).unwrap_or("OFF");
    if mfa != "OFF" {
        let software = strings(pool, &["EnabledMfas"]).iter().any(|m| m == "SOFTWARE_TOKEN_MFA");
        cognito
            .set_user_pool_mfa_config()
            .user_pool_id(&pool_id)
            .software_token_mfa_configuration(SoftwareTokenMfaConfigType::builder().enabled(software).build())
            .mfa_configuration(UserPoolMfaType::from(mfa))
            .send()
            .await
            .map_err(refused("SetUserPoolMfaConfig"))?;
    }

    let clients = template.resources_of_type("AWS::Cognito::UserPoolClient");
    let [(client_name, client)] = clients.as_slice() else {
        return Err(shape("one AWS::Cognito::UserPoolClient is expected"));
    };
    let unit = |key: &str| {
        field(client, &["TokenValidityUnits", key]).and_then(Value::as_str).map(TimeUnitsType::from)
    };
    let created = cognito
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name(client_name)
        .generate_secret(flag(client, &["GenerateSecret"]).unwrap_or(false))
        .set_explicit_auth_flows(Some(
            strings(client, &["ExplicitAuthFlows"])
                .iter()
                .map(|f| ExplicitAuthFlowsType::from(f.as_str()))
                .collect(),
        ))
        .set_prevent_user_existence_errors(
            field(client, &["PreventUserExistenceErrors"])
                .and_then(Value::as_str)
                .map(PreventUserExistenceErrorTypes::from),
        )
        .set_access_token_validity(number(client, &["AccessTokenValidity"]))
        .set_id_token_validity(number(client, &["IdTokenValidity"]))
        .set_refresh_token_validity(number(client, &["RefreshTokenValidity"]))
        .token_validity_units(
            TokenValidityUnitsType::builder()
                .set_access_token(unit("AccessToken"))
                .set_id_token(unit("IdToken"))
                .set_refresh_token(unit("RefreshToken"))
                .build(),
        )
        .send()
        .await
        .map_err(refused("CreateUserPoolClient"))?;
    let client_id = created
        .user_pool_client()
        .and_then(|c| c.client_id())
        .ok_or_else(|| shape("CreateUserPoolClient gave no client id"))?
        .to_owned();

    for (_, group) in template.resources_of_type("AWS::Cognito::UserPoolGroup") {
        let name = field(&group, &["GroupName"])
            .and_then(Value::as_str)
            .ok_or_else(|| shape("a group has no GroupName"))?;
        let description = field(&group, &["Description"]).and_then(Value::as_str).map(str::to_owned);
        cognito
            .create_group()
            .user_pool_id(&pool_id)
            .group_name(name)
            .set_description(description)
            .send()
            .await
            .map_err(refused("CreateGroup"))?;
    }
    let region = sdk.region().map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
    Ok(StaffPool { pool_id, client_id, region, endpoint: endpoint.to_owned() })
}

/// A staff account: its sign-in name, groups and password.
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    pub username: &'a str,
    pub groups: &'a [&'a str],
    pub password: &'a str,
}

/// Creates `account` in the pool, in its groups (a `dept-<CODE>` group is created the first
/// time, by the same call as `town311-admin user create`'s), with its password: `permanent`, or temporary
/// (changed at the first sign-in, as an account made by an administrator starts). No mail is
/// sent. An account that exists already only gets the password again.
pub async fn create_account(
    sdk: &aws_config::SdkConfig,
    pool: &StaffPool,
    account: Account<'_>,
    permanent: bool,
) -> Result<(), CognitoError> {
    let cognito = Client::new(sdk);
    let created = cognito
        .admin_create_user()
        .user_pool_id(&pool.pool_id)
        .username(account.username)
        .temporary_password(account.password)
        .message_action(MessageActionType::Suppress)
        .send()
        .await;
    if let Err(error) = created {
        let exists = error.as_service_error().is_some_and(|e| e.is_username_exists_exception());
        if !exists {
            return Err(refused("AdminCreateUser")(error));
        }
    }
    town311::adapters::aws::directory::join_groups(&cognito, &pool.pool_id, account.username, account.groups)
        .await
        .map_err(refused("joining its groups"))?;
    if permanent {
        cognito
            .admin_set_user_password()
            .user_pool_id(&pool.pool_id)
            .username(account.username)
            .password(account.password)
            .permanent(true)
            .send()
            .await
            .map_err(refused("AdminSetUserPassword"))?;
    }
    Ok(())
}

/// The demo's staff (`make run`): an administrator, a clerk of Public Works and one of
/// Sanitation (each sees their own department's queue, not the other's), and a viewer, with
/// known passwords (the pool's policy: 12 characters, upper, lower, a digit).
pub const DEMO_STAFF: &[(Account<'static>, &str)] = &[
    (
        Account { username: "ad", groups: &["admin"], password: "Millbrook-Admin-1" },
        "every ticket, the catalog",
    ),
    (Account { username: "bo", groups: &["dept-DPW"], password: "Millbrook-Works-1" }, "Public Works' queue"),
    (
        Account { username: "sam", groups: &["dept-SAN"], password: "Millbrook-Sanitation-1" },
        "Sanitation's queue",
    ),
    (Account { username: "vi", groups: &["viewer"], password: "Millbrook-Viewer-1" }, "reads every ticket"),
];

/// Creates the demo's staff with their passwords, ready to sign in.
pub async fn seed_demo_staff(sdk: &aws_config::SdkConfig, pool: &StaffPool) -> Result<(), CognitoError> {
    for (account, _) in DEMO_STAFF {
        create_account(sdk, pool, *account, true).await?;
    }
    Ok(())
}
