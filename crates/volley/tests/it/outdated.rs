//! `volley list --outdated` / `--uptodate`: the newest version on the index, as pip's `list
//! --outdated` finds it.

use crate::common::*;

#[test]
fn outdated_packages_are_listed_as_pip_lists_them() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let sdist = volley_test_support::SdistBuilder::new("bravo", "1.1").build();
    let server = IndexServer::builder()
        // alpha: a newer wheel.
        .wheel(module_wheel("alpha", "1.0").build())
        .wheel(module_wheel("alpha", "2.0").build())
        // bravo: the newer version is an sdist only.
        .wheel(module_wheel("bravo", "1.0").build())
        .file("bravo", &sdist.filename, sdist.bytes.clone())
        // charlie: up to date.
        .wheel(module_wheel("charlie", "3.0").build())
        // delta: only a pre-release, a yanked release, a release for another Python and a
        // wheel for another platform are newer.
        .wheel(module_wheel("delta", "1.0").build())
        .wheel(module_wheel("delta", "1.1").build())
        .wheel(module_wheel("delta", "1.2").build())
        .wheel(
            module_wheel("delta", "1.3")
                .tag("cp311-cp311-win_amd64")
                .build(),
        )
        .wheel(module_wheel("delta", "2.0rc1").build())
        .yanked("delta-1.1-py3-none-any.whl", Some("broken"))
        .requires_python("delta-1.2-py3-none-any.whl", "<3")
        .start();
    assert_success(&install(
        &ctx,
        &server,
        &["alpha==1.0", "bravo==1.0", "charlie==3.0", "delta==1.0"],
    ));
    // Installed from elsewhere: the index does not have it, so it is left out.
    let elsewhere = IndexServer::builder()
        .wheel(module_wheel("zulu", "1.0").build())
        .start();
    assert_success(&install(&ctx, &elsewhere, &["zulu"]));

    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let list = |args: &[&str]| {
        let mut full = vec!["list", "--python", &venv, "-i", &index];
        full.extend_from_slice(args);
        let output = volley(&ctx, &full);
        assert_success(&output);
        stdout(&output)
    };
    let pip_list = |args: &[&str]| {
        let mut full = vec!["list", "-i", &index];
        full.extend_from_slice(args);
        let output = ctx.pip(&full);
        assert_success(&output);
        stdout(&output)
    };

    let columns = list(&["--outdated"]);
    insta::assert_snapshot!(columns, @r"
    Package Version Latest Type
    ------- ------- ------ -----
    alpha   1.0     2.0    wheel
    bravo   1.0     1.1    sdist
    ");
    assert_eq!(columns, pip_list(&["--outdated"]));
    let json = list(&["--outdated", "--format", "json"]);
    assert_eq!(json, pip_list(&["--outdated", "--format", "json"]));
    assert_eq!(
        list(&["--uptodate", "--format", "json"]),
        pip_list(&["--uptodate", "--format", "json"])
    );
    // With --pre, delta's release candidate counts.
    let pre = list(&["--outdated", "--pre", "--format", "json"]);
    assert!(pre.contains("\"latest_version\": \"2.0rc1\""), "{pre}");
    assert_eq!(pre, pip_list(&["--outdated", "--pre", "--format", "json"]));

    let error = volley(
        &ctx,
        &[
            "list",
            "--python",
            &venv,
            "--outdated",
            "--format",
            "freeze",
        ],
    );
    insta::assert_snapshot!(assert_failure(&error).trim(), @"error: list format 'freeze' cannot be used with the --outdated option");
}
