//! Timing: an unknown user and a wrong password take comparable time (the answer does not tell which
//! accounts exist). Over HTTP, in-process server. `-- --nocapture` prints the figures.

mod common;

use std::time::{Duration, Instant};

use backendless_emulator::protocol::faults;
use common::{scratch_dir, Client, Local};

#[test]
fn unknown_user_and_wrong_password_take_comparable_time() {
    let server = Local::start(&[]);
    server.register("time@x.io", "pw");
    let median = |login: &str| {
        let mut samples: Vec<Duration> = (0..7)
            .map(|_| {
                let start = Instant::now();
                server
                    .login_reply(login, "wrong")
                    .assert_fault(faults::INVALID_LOGIN);
                start.elapsed()
            })
            .collect();
        samples.sort();
        samples[3]
    };
    let known = median("time@x.io");
    let unknown = median("nobody@x.io");
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    // Without the dummy hash the unknown case would be ~100x faster.
    assert!(
        (0.33..3.0).contains(&ratio),
        "known {known:?} vs unknown {unknown:?}"
    );
}

/// Median, 10th and 90th percentile.
fn spread(samples: &mut [Duration]) -> (Duration, Duration, Duration) {
    samples.sort();
    let at = |fraction: f64| samples[((samples.len() - 1) as f64 * fraction).round() as usize];
    (at(0.5), at(0.1), at(0.9))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Times logins of an unknown user, a wrong password and the right password, interleaved; prints the figures
/// and returns the ratio of medians wrong-password / unknown-user.
fn time_login_outcomes(server: &Local, label: &str, rounds: usize) -> f64 {
    server.register("timing@x.io", "right-password");
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    let mut right = Vec::new();
    // Warm-up: first connections, first hashes.
    for _ in 0..3 {
        server
            .login_reply("nobody@x.io", "whatever")
            .assert_fault(faults::INVALID_LOGIN);
        server
            .login_reply("timing@x.io", "wrong-password")
            .assert_fault(faults::INVALID_LOGIN);
    }
    for round in 0..rounds {
        let time = |login: &str, password: &str| {
            let start = Instant::now();
            let reply = server.login_reply(login, password);
            (start.elapsed(), reply)
        };
        // Rotate the order so drifts in machine load hit all three alike.
        for step in 0..3 {
            match (round + step) % 3 {
                0 => {
                    let (elapsed, reply) = time(&format!("nobody-{round}@x.io"), "wrong-password");
                    reply.assert_fault(faults::INVALID_LOGIN);
                    unknown.push(elapsed);
                }
                1 => {
                    let (elapsed, reply) = time("timing@x.io", "wrong-password");
                    reply.assert_fault(faults::INVALID_LOGIN);
                    wrong.push(elapsed);
                }
                _ => {
                    let (elapsed, reply) = time("timing@x.io", "right-password");
                    assert_eq!(reply.status, 200, "{}", reply.body);
                    right.push(elapsed);
                }
            }
        }
    }
    let (unknown_median, unknown_p10, unknown_p90) = spread(&mut unknown);
    let (wrong_median, wrong_p10, wrong_p90) = spread(&mut wrong);
    let (right_median, right_p10, right_p90) = spread(&mut right);
    let ratio = wrong_median.as_secs_f64() / unknown_median.as_secs_f64();
    println!(
        "login timing, {label}, {rounds} rounds (median [p10–p90] ms): unknown user {:.2} [{:.2}–{:.2}], \
         wrong password {:.2} [{:.2}–{:.2}], right password {:.2} [{:.2}–{:.2}]; wrong/unknown = {ratio:.3}",
        ms(unknown_median), ms(unknown_p10), ms(unknown_p90),
        ms(wrong_median), ms(wrong_p10), ms(wrong_p90),
        ms(right_median), ms(right_p10), ms(right_p90),
    );
    ratio
}

#[test]
fn unknown_user_and_wrong_password_timing_figures() {
    // The default setup (no lockout, in-memory database).
    let server = Local::start(&[]);
    let plain = time_login_outcomes(&server, "defaults (:memory:, lockout off)", 40);
    drop(server);
    // With lockout on and a database file, a wrong password for a real account also writes the failure.
    let dir = scratch_dir("timing");
    let db = dir.join("timing.db");
    let server = Local::start_on(db.to_str().unwrap(), &["--lockout-threshold", "1000"]);
    let counted = time_login_outcomes(&server, "database file, lockout on (failures written)", 40);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    // Loose bounds only: without the dummy hash for unknown users the ratio would be ~100.
    for ratio in [plain, counted] {
        assert!(
            (0.33..3.0).contains(&ratio),
            "wrong/unknown median ratio {ratio}"
        );
    }
}
