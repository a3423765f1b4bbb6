use lambda_http::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    town311::telemetry::init();
    let config = town311::config::Config::from_env()?;
    let state = update::State { config };
    run(service_fn(|request| update::handle(&state, request))).await
}
