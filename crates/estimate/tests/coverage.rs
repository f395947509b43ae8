//! Simulation checks of interval coverage: populations of known size with
//! known (heterogeneous) list probabilities; a 95 % interval should contain
//! the truth in about 95 % of replications. This is the CI-sized version
//! (fixed seeds, modest replication counts, well under a minute); the `lcmcr`
//! bench runs the same scenarios with many more replications.
//!
//! The acceptance band is three binomial standard errors below 0.95: with
//! R replications an honest 95 % interval falls below `0.95 − 3·√(0.95·0.05/R)`
//! about once in 700 runs, while an interval that ignores heterogeneity (the
//! independence model on latent-class data) covers far less often.

#[path = "common/sim.rs"]
mod sim;

fn lower_band(reps: usize) -> f64 {
    0.95 - 3.0 * (0.95 * 0.05 / reps as f64).sqrt()
}

#[test]
fn lcmcr_intervals_cover_the_true_total() {
    let reps = [50usize, 60];
    for (scenario, &r) in sim::scenarios().iter().zip(&reps) {
        let c = sim::lcmcr_coverage(scenario, r, 2024, sim::test_config());
        eprintln!(
            "{}: covered {}/{} (refused {}), median rel. error {:.3}, mean width {:.0}",
            scenario.name, c.covered, c.reps, c.refused, c.median_rel_error, c.mean_width
        );
        assert_eq!(c.refused, 0, "{}", scenario.name);
        assert!(
            c.rate() >= lower_band(r),
            "{}: coverage {:.3} below {:.3}",
            scenario.name,
            c.rate(),
            lower_band(r)
        );
        assert!(
            c.median_rel_error < 0.1,
            "{}: median relative error {:.3}",
            scenario.name,
            c.median_rel_error
        );
    }
}

#[test]
fn chapman_intervals_cover_the_true_total_for_independent_lists() {
    let reps = 1_000;
    let c = sim::chapman_coverage(reps, 77);
    eprintln!("chapman: covered {}/{}", c.covered, c.reps);
    assert_eq!(c.refused, 0);
    assert!(c.rate() >= lower_band(reps), "coverage {:.3}", c.rate());
    assert!(
        c.rate() <= 0.95 + 3.0 * (0.95 * 0.05 / reps as f64).sqrt(),
        "too wide: {:.3}",
        c.rate()
    );
}

#[test]
fn independence_model_covers_on_independent_lists_and_fails_under_heterogeneity() {
    let all = sim::scenarios();
    let (hetero, indep) = (&all[0], &all[1]);
    let reps = 300;
    let c = sim::independence_coverage(indep, reps, 31);
    eprintln!("Mt on {}: covered {}/{}", indep.name, c.covered, c.reps);
    assert_eq!(c.refused, 0);
    assert!(c.rate() >= lower_band(reps), "coverage {:.3}", c.rate());
    // The same interval on latent-class data: heterogeneity biases Mt
    // downward, so it must miss the truth most of the time. This shows the
    // coverage check can tell a wrong model from a right one.
    let c = sim::independence_coverage(hetero, 100, 32);
    eprintln!("Mt on {}: covered {}/{}", hetero.name, c.covered, c.reps);
    assert!(
        c.rate() < 0.5,
        "Mt covered {:.3} on heterogeneous data",
        c.rate()
    );
}
