//! `devserver`: the local stack, as `make run` starts it.

use std::process::ExitCode;
use town311_local::{Settings, Stack};

#[tokio::main]
async fn main() -> ExitCode {
    town311::runtime::telemetry::init();
    let started = match Settings::from_env() {
        Ok(settings) => Stack::start(settings).await,
        Err(error) => Err(error),
    };
    let stack = match started {
        Ok(stack) => stack,
        Err(error) => {
            eprintln!("devserver: {}", town311::runtime::chain(&error));
            return ExitCode::FAILURE;
        }
    };
    let api = format!("{}/open311/v2", stack.base_url);
    println!();
    println!("town311 is running for {}.", stack.config.town_name);
    println!("  Citizen form: {}/   (staff: {}/admin)", stack.base_url, stack.base_url);
    println!("  Open311 API:  {api}/services.json");
    println!("  Submit:       curl -d service_code=SIGN -d lat=42.1 -d long=-72.5 {api}/requests.json");
    println!("  Look up:      curl {api}/requests/<ticket number>.json");
    println!("  Routes (from template.yaml):");
    for route in stack.routes.routes() {
        println!("    {:<45} -> {}", route.route_key(), route.function);
    }
    println!(
        "  Staff sign-in at {}/admin (user pool {} in the emulator's Cognito):",
        stack.base_url, stack.staff.pool_id
    );
    for (account, what) in town311_local::cognito::DEMO_STAFF {
        println!(
            "    {:<4} password {:<23} {:<9} {what}",
            account.username,
            account.password,
            account.groups.join(",")
        );
    }
    println!("Stop with Ctrl-C or `make stop`.");
    println!();
    wait_for_stop().await;
    stack.stop().await;
    ExitCode::SUCCESS
}

async fn wait_for_stop() {
    let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(signal) => signal,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
