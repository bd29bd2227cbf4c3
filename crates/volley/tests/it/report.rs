//! `volley install --report`: pip's installation report, written to a file or to standard
//! output.

use std::collections::BTreeSet;

use crate::common::*;

/// `(name, version)` of every entry of a report's `install` list.
fn installs(report: &serde_json::Value) -> BTreeSet<(String, String)> {
    report["install"]
        .as_array()
        .expect("an install list")
        .iter()
        .map(|item| {
            (
                item["metadata"]["name"].as_str().unwrap().to_lowercase(),
                item["metadata"]["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn report_to_stdout_is_only_json_and_lists_what_pip_lists() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("app", "1.0").requires_dist("lib>=2").build())
        .wheel(module_wheel("lib", "2.1").build())
        .start();
    let output = install(&ctx, &server, &["app", "--report", "-"]);
    assert_success(&output);
    // Standard output holds the report and nothing else; the progress lines are on stderr.
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["version"], "1");
    assert!(
        stderr(&output).contains("Installed 2 packages"),
        "{}",
        stderr(&output)
    );

    let other = TestContext::new();
    other.create_venv();
    let index = server.index_url();
    let pip = other.pip(&[
        "install",
        "-q",
        "-i",
        &index,
        "--dry-run",
        "--report",
        "-",
        "app",
    ]);
    assert_success(&pip);
    let pip_report: serde_json::Value = serde_json::from_slice(&pip.stdout).unwrap();
    assert_eq!(installs(&report), installs(&pip_report));
    let requested: Vec<bool> = report["install"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["requested"].as_bool().unwrap())
        .collect();
    assert_eq!(requested.iter().filter(|requested| **requested).count(), 1);
}
