//! A short run of `make soak`'s scenario: concurrent reports with racing retries, staff notes,
//! an SNS outage and a DynamoDB outage mid-run. Nothing may be lost, doubled or left unrouted,
//! and no server error may come outside the outages. (How fast it drains is `make soak`'s to
//! measure; here the pipeline only has to drain.)

use std::time::Duration;
use town311_tests::soak::{Plan, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_with_outages_loses_doubles_and_strands_nothing() {
    let plan = Plan {
        reports: 48,
        clients: 8,
        outage: Duration::from_secs(3),
        drain_limit: Duration::from_secs(120),
        retry_after: Duration::from_secs(6),
    };
    let report = run(&plan).await;
    eprintln!("{report:#?}");
    assert!(report.drained, "the pipeline drained: {report:#?}");
    assert_eq!(report.tickets_created, 48);
    assert_eq!(report.lost, 0);
    assert_eq!(report.refused, 0);
    assert_eq!(report.duplicate_tickets, 0);
    assert_eq!(report.pairs_answered_differently, 0);
    assert_eq!(report.unrouted, 0);
    assert_eq!(report.events_missing, 0);
    assert_eq!(report.notices_missing, 0);
    assert_eq!(report.notices_doubled, 0);
    assert_eq!(report.server_errors_outside_outages, 0);
    assert!(report.notices_expected >= 48, "every reporter is told at least of their report");
    assert!(report.server_errors_in_outages > 0, "the DynamoDB outage refused some submissions");
    assert!(report.staff_changes > 0);
}
