use lambda_http::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    town311::runtime::telemetry::init();
    let state = update::State::from(&town311::adapters::aws::Adapters::from_env(update::TIMEOUT)?);
    // The connection it started opens now, while the first event is fetched.
    tokio::task::yield_now().await;
    run(service_fn(|request| update::handle(&state, request))).await
}
