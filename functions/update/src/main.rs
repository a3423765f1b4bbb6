use lambda_http::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    town311::telemetry::init();
    let config = town311::config::Config::from_env()?;
    let sdk = town311::aws::function_sdk_config(update::TIMEOUT)?;
    let state = update::State::from_aws(config, &sdk);
    // The connection it started opens now, while the first event is fetched.
    tokio::task::yield_now().await;
    run(service_fn(|request| update::handle(&state, request))).await
}
