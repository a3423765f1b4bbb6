//! `town311-admin`: operator commands against a deployment's table.
//!
//! ```text
//! TABLE_NAME=<the stack's TicketsTableName> town311-admin api-key issue --name "FixMyStreet"
//! town311-admin api-key list
//! town311-admin api-key revoke <id>
//! town311-admin catalog load infra/seed/catalog.json
//! town311-admin routing load infra/seed/routing.json
//! town311-admin templates load infra/seed/templates.json
//! town311-admin addresses load infra/seed/addresses.csv
//! town311-admin map reindex --from 2024-01-01
//! CONTACT_SECRET=<the stack's ContactSecret> town311-admin privacy export --contact ana@example.org
//! town311-admin privacy erase --contact +15555550100
//! town311-admin privacy migrate
//! USER_POOL_ID=<the stack's StaffUserPoolId> town311-admin user create --email clerk@town.gov --group admin
//! ```
//! AWS credentials and region come from the usual environment; `make api-key` points it at the
//! local emulator.

use std::process::ExitCode;
use town311::adapters::aws::DynamoTable;
use town311::domain::id::OsRandom;
use town311_ops::OpsError;

const USAGE: &str = "usage: town311-admin api-key issue --name NAME | api-key list | api-key revoke ID | \
                     catalog load FILE | routing load FILE | templates load FILE | addresses load FILE | \
                     map reindex --from YYYY-MM-DD | privacy export|erase --contact EMAIL_OR_PHONE | privacy migrate | user create --email EMAIL --group GROUP [--group GROUP ...]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("town311-admin: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>) -> Result<(), OpsError> {
    if args.first().map(String::as_str) == Some("user") {
        return user(&args[1..]).await;
    }
    let table = std::env::var("TABLE_NAME")
        .map_err(|_| OpsError::Usage("set TABLE_NAME to the stack's table".into()))?;
    let sdk = town311::adapters::aws::sdk_config().await;
    let keys = DynamoTable::with_client(aws_sdk_dynamodb::Client::new(&sdk), &table);
    let now = chrono::Utc::now();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["api-key", "issue", "--name", name] => {
            let (secret, key) = town311_ops::issue(&keys, &OsRandom, name, now).await?;
            println!("Issued API key {} for {}.", key.id, key.name);
            println!("Give this secret to them now; it is not stored and cannot be shown again:");
            println!("{secret}");
        }
        ["api-key", "list"] => {
            for line in town311_ops::list(&keys).await? {
                println!("{line}");
            }
        }
        ["api-key", "revoke", id] => {
            let key = town311_ops::revoke(&keys, id, now).await?;
            println!("Revoked API key {} ({}).", key.id, key.name);
        }
        ["catalog", "load", path] => {
            let seed = town311_ops::load_catalog(&keys, &read(path)?).await?;
            println!("Loaded {} services in {} departments.", seed.services.len(), seed.departments.len());
        }
        ["routing", "load", path] => {
            let rules = town311_ops::load_routing(&keys, read(path)?.as_bytes(), now).await?;
            println!(
                "Loaded routing rules version {}: {} areas, {} rules.",
                rules.version,
                rules.areas.features.len(),
                rules.rules.len()
            );
        }
        ["templates", "load", path] => {
            let templates = town311_ops::load_templates(&keys, &keys, read(path)?.as_bytes(), now).await?;
            println!(
                "Loaded canned responses version {}: {} templates.",
                templates.version,
                templates.templates.len()
            );
        }
        ["addresses", "load", path] => {
            let file = town311_ops::load_addresses(&keys, &read(path)?).await?;
            println!("Loaded {} address points; refused {}.", file.addresses.len(), file.refused.len());
            for refused in &file.refused {
                println!("  refused {refused}");
            }
        }
        ["map", "reindex", "--from", date] => {
            let from = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| OpsError::Usage(format!("--from must be a date like 2024-01-01, not {date}")))?
                .and_time(chrono::NaiveTime::MIN)
                .and_utc();
            let done = town311_ops::map::reindex(&keys, from, now).await?;
            println!(
                "Read {} public requests; {} put on the map, {} changed meanwhile (on it already).",
                done.read, done.written, done.changed_meanwhile
            );
        }
        ["privacy", "export", "--contact", contact] => {
            town311_ops::privacy::install_secret_from_env()?;
            let items = town311_ops::privacy::export(&keys, &town311_ops::privacy::contact(contact)?).await?;
            for item in &items {
                println!("{item}");
            }
            eprintln!("{} items hold this contact.", items.len());
        }
        ["privacy", "migrate"] => {
            let done = town311_ops::privacy::migrate(&keys, &keys).await?;
            println!(
                "Read {} tickets; {} written with their contacts kept apart, {} changed meanwhile (kept apart already).",
                done.read, done.written, done.changed_meanwhile
            );
        }
        ["privacy", "erase", "--contact", contact] => {
            town311_ops::privacy::install_secret_from_env()?;
            let erased = town311_ops::privacy::erase(&keys, &town311_ops::privacy::contact(contact)?).await?;
            println!("Erased {erased} items holding this contact.");
        }
        _ => return Err(OpsError::Usage(USAGE.into())),
    }
    Ok(())
}

fn read(path: &str) -> Result<String, OpsError> {
    std::fs::read_to_string(path).map_err(|e| OpsError::Usage(format!("cannot read {path}: {e}")))
}

async fn user(args: &[String]) -> Result<(), OpsError> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ["create", rest @ ..] = args.as_slice() else {
        return Err(OpsError::Usage(USAGE.into()));
    };
    let mut email = None;
    let mut groups = Vec::new();
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        match (*flag, rest.next()) {
            ("--email", Some(value)) => email = Some((*value).to_owned()),
            ("--group", Some(value)) => groups.push((*value).to_owned()),
            _ => return Err(OpsError::Usage(USAGE.into())),
        }
    }
    let email = email.ok_or_else(|| OpsError::Usage(USAGE.into()))?;
    let pool = std::env::var("USER_POOL_ID")
        .map_err(|_| OpsError::Usage("set USER_POOL_ID to the stack's StaffUserPoolId".into()))?;
    let sdk = town311::adapters::aws::sdk_config().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    town311_ops::create_user(&cognito, &pool, &email, &groups).await?;
    println!("Created {email} in {}; Cognito emails them a temporary password.", groups.join(", "));
    Ok(())
}
