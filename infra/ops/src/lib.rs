//! Operator commands for a deployment: loading the town's catalog, routing rules and address
//! points, issuing,
//! listing and revoking the API keys third-party Open311 apps submit with, and creating staff
//! users (the first admin among them).

pub mod map;
pub mod privacy;

use chrono::{DateTime, Utc};
use town311::domain::api_key::ApiKey;
use town311::domain::catalog::CatalogSeed;
use town311::domain::id::IdSource;
use town311::domain::routing::RoutingRules;
use town311::ports::{ApiKeys, Catalog, StoreError};

/// A command that could not be carried out.
#[derive(Debug)]
pub enum OpsError {
    Usage(String),
    Store(StoreError),
    Random(String),
    Cognito(String),
}

impl std::fmt::Display for OpsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Usage(text) => f.write_str(text),
            Self::Store(e) => write!(f, "{}", town311::runtime::chain(e)),
            Self::Random(e) => write!(f, "no randomness available: {e}"),
            Self::Cognito(e) => write!(f, "the user pool refused: {e}"),
        }
    }
}

impl From<StoreError> for OpsError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Loads a catalog file (departments, services, business calendar); entries with the same code
/// are replaced.
pub async fn load_catalog(catalog: &dyn Catalog, json: &str) -> Result<CatalogSeed, OpsError> {
    let seed = CatalogSeed::parse(json).map_err(|e| OpsError::Usage(e.to_string()))?;
    town311::app::seed::store(&seed, catalog).await?;
    Ok(seed)
}

/// Loads routing rules, checked against the stored catalog, as their next version.
pub async fn load_routing(
    catalog: &dyn Catalog,
    json: &[u8],
    now: DateTime<Utc>,
) -> Result<RoutingRules, OpsError> {
    let services = catalog.services().await?;
    let departments = catalog.departments().await?;
    let rules =
        RoutingRules::parse(json, &services, &departments).map_err(|e| OpsError::Usage(e.to_string()))?;
    Ok(town311::app::routing::replace(catalog, rules, "town311-admin", now, None).await?)
}

/// Replaces the town's canned responses with a file's, checked against the catalog's services.
pub async fn load_templates(
    catalog: &dyn Catalog,
    templates: &dyn town311::ports::Templates,
    json: &[u8],
    now: DateTime<Utc>,
) -> Result<town311::domain::canned::CannedResponses, OpsError> {
    let services = catalog.services().await?;
    let parsed = town311::domain::canned::CannedResponses::parse(json, &services)
        .map_err(|e| OpsError::Usage(e.to_string()))?;
    Ok(town311::app::canned::replace(templates, parsed, "town311-admin", now, None).await?)
}

/// Loads a town's address file (GeoJSON or CSV): every address it holds is stored (replacing
/// those with the same id); the rows or features refused come back with why.
pub async fn load_addresses(
    addresses: &dyn town311::ports::Addresses,
    text: &str,
) -> Result<town311::domain::address::file::AddressFile, OpsError> {
    use town311::app::addresses::{LoadError, load};
    load(addresses, text).await.map_err(|e| match e {
        LoadError::File(e) => OpsError::Usage(e.to_string()),
        LoadError::Store(e) => OpsError::Store(e),
    })
}

/// Issues a key for `name`; the secret is returned once and never stored.
pub async fn issue(
    keys: &dyn ApiKeys,
    random: &dyn IdSource,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(String, ApiKey), OpsError> {
    if name.trim().is_empty() {
        return Err(OpsError::Usage("a key needs a --name saying who it is for".into()));
    }
    let mut bytes = [0u8; 32];
    random.fill(&mut bytes).map_err(|e| OpsError::Random(e.to_string()))?;
    let (secret, key) = ApiKey::issue(name, bytes, now);
    keys.put_key(&key).await?;
    Ok((secret, key))
}

/// Revokes the key with this id (as `list` shows it).
pub async fn revoke(keys: &dyn ApiKeys, id: &str, now: DateTime<Utc>) -> Result<ApiKey, OpsError> {
    let mut key = keys
        .keys()
        .await?
        .into_iter()
        .find(|k| k.id == id.trim())
        .ok_or_else(|| OpsError::Usage(format!("no API key has the id {id}")))?;
    if key.revoked_at.is_none() {
        key.revoked_at = Some(now);
        keys.put_key(&key).await?;
    }
    Ok(key)
}

/// Every key, newest first, as lines for a terminal.
pub async fn list(keys: &dyn ApiKeys) -> Result<Vec<String>, OpsError> {
    let when = |at: Option<DateTime<Utc>>| {
        at.map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string())
    };
    Ok(keys
        .keys()
        .await?
        .into_iter()
        .map(|k| {
            format!(
                "{}  {:<8}  created {}  last used {}  {}",
                k.id,
                if k.is_active() { "active" } else { "revoked" },
                when(Some(k.created_at)),
                when(k.last_used_at),
                k.name
            )
        })
        .collect())
}

/// The groups a staff user may be put in: `admin`, `viewer` or `dept-<CODE>`.
pub fn valid_group(group: &str) -> bool {
    group == "admin"
        || group == "viewer"
        || group.strip_prefix(town311::domain::staff::DEPARTMENT_GROUP_PREFIX).is_some_and(|code| {
            !code.is_empty() && code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
}

/// Creates a staff user in the pool (Cognito emails them a temporary password) and puts them in
/// `groups`, creating department groups as needed.
pub async fn create_user(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    pool: &str,
    email: &str,
    groups: &[String],
) -> Result<(), OpsError> {
    use aws_sdk_cognitoidentityprovider::types::{AttributeType, DeliveryMediumType};
    let email = town311::domain::contact::Email::parse(email)
        .map_err(|_| OpsError::Usage(format!("{email} is not an email address")))?;
    if groups.is_empty() || !groups.iter().all(|g| valid_group(g)) {
        return Err(OpsError::Usage("give at least one --group: admin, viewer or dept-<CODE>".into()));
    }
    let attribute = |name: &str, value: &str| {
        AttributeType::builder().name(name).value(value).build().map_err(|e| OpsError::Cognito(e.to_string()))
    };
    cognito
        .admin_create_user()
        .user_pool_id(pool)
        .username(email.as_str())
        .user_attributes(attribute("email", email.as_str())?)
        .user_attributes(attribute("email_verified", "true")?)
        .desired_delivery_mediums(DeliveryMediumType::Email)
        .send()
        .await
        .map_err(|e| OpsError::Cognito(town311::runtime::chain(&e)))?;
    town311::adapters::aws::directory::join_groups(cognito, pool, email.as_str(), groups)
        .await
        .map_err(|e| OpsError::Cognito(town311::runtime::chain(&e)))?;
    Ok(())
}
