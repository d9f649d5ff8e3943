//! The maintainers' acceptance run (`./scripts/acceptance`, src/runners/acceptance) works: the
//! very binary a maintainer points at a real account runs here against moto behind the fault
//! proxy playing AWS as configs/aws-realistic.json describes (instances boot, targets turn
//! healthy, the database is `creating` a while, IAM propagates late), with a local stand-in
//! answering for the load balancer moto cannot serve. It passes on a good stack, fails when the
//! site is not WordPress (still destroying everything), sweeps a stack Terraform lost track of,
//! and refuses to start without the opt-in.

use std::net::SocketAddr;
use std::process::{Command, Output};

use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::{workspace_root, FaultConfig, FaultProxy, Moto, REGION};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The provider's factor on every wait: the proxy's 1 s stands for about one AWS minute.
const TIME_SCALE: &str = "0.0167";

const WORDPRESS_INSTALLER: &str =
    "HTTP/1.1 302 Found\r\nLocation: /wp-admin/install.php\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const APACHE_DEFAULT_PAGE: &str =
    "HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n<h1>It works!</h1>\r\n";

/// A stand-in for the load balancer: answers every request with `answer`.
async fn site_stand_in(answer: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    address
}

struct World {
    proxy: FaultProxy,
    moto: Moto,
    aws: AwsInspector,
}

impl World {
    async fn start() -> World {
        let moto = Moto::start_async().await.expect("moto starts");
        let realistic = workspace_root().join("tests/proxy/configs/aws-realistic.json");
        let faults = FaultConfig::from_file(&realistic).expect("aws-realistic.json");
        let proxy = FaultProxy::start(&moto.endpoint(), faults).expect("proxy starts");
        let aws = AwsInspector::for_moto(&moto).await;
        World { proxy, moto, aws }
    }

    /// The acceptance binary with moto's credentials, the proxy as endpoint and `args`. It
    /// blocks its runtime thread, so tests run multi-threaded: the site stand-in answers meanwhile.
    fn acceptance(&self, opt_in: bool, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_acceptance"));
        command
            .args(["--endpoint", &self.proxy.endpoint(), "--region", REGION])
            .args(args)
            .envs(self.moto.aws_env())
            .env("WORDPRESS_HA_TIME_SCALE", TIME_SCALE)
            .env_remove("AWS_PROFILE");
        if opt_in {
            command.env("WORDPRESS_ACC", "1");
        } else {
            command.env_remove("WORDPRESS_ACC");
        }
        command.output().expect("run the acceptance binary")
    }
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_stack_passes_every_step_and_leaves_nothing() {
    let world = World::start().await;
    let site = site_stand_in(WORDPRESS_INSTALLER).await;
    let site_arg = site.to_string();
    let output = world.acceptance(
        true,
        &[
            "--name",
            "acc-good",
            "--site-address",
            &site_arg,
            "--site-patience",
            "20s",
        ],
    );
    let report = text(&output);
    assert_eq!(output.status.code(), Some(0), "{report}");
    for line in [
        "ok   apply",
        "ok   site",
        "ok   tier network",
        "ok   tier load balancer",
        "ok   tier fleet",
        "ok   tier database",
        "ok   tier file system",
        "ok   tier secret",
        "ok   destroy",
        "ok   sweep: left by destroy []",
        "verdict: PASSED",
    ] {
        assert!(report.contains(line), "the report has {line:?}\n{report}");
    }
    let left = world.aws.tagged_objects("acc-good").await.expect("census");
    AwsInspector::assert_none_left(&left, "acc-good");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_is_not_wordpress_fails_the_run_which_still_cleans_up() {
    let world = World::start().await;
    let site = site_stand_in(APACHE_DEFAULT_PAGE).await;
    let site_arg = site.to_string();
    let output = world.acceptance(
        true,
        &[
            "--name",
            "acc-apache",
            "--site-address",
            &site_arg,
            "--site-patience",
            "3s",
        ],
    );
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("FAIL site"), "{report}");
    assert!(
        report.contains("It works!"),
        "the last answer is shown\n{report}"
    );
    assert!(report.contains("ok   destroy"), "{report}");
    assert!(report.contains("verdict: FAILED"), "{report}");
    let left = world
        .aws
        .tagged_objects("acc-apache")
        .await
        .expect("census");
    AwsInspector::assert_none_left(&left, "acc-apache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_removes_a_stack_terraform_lost_track_of() {
    let world = World::start().await;
    let mut tf =
        TerraformDir::with_endpoint("acceptance-lost", &world.moto, &world.proxy.endpoint())
            .expect("work dir");
    tf.add_env("WORDPRESS_HA_TIME_SCALE", TIME_SCALE);
    tf.copy_configuration(&workspace_root().join("examples/default"))
        .expect("copy examples/default");
    tf.write_file("terraform.tfvars", "name = \"acc-lost\"\n")
        .expect("tfvars");
    tf.apply().assert_success();
    tf.run(&["state", "rm", "wordpress_ha_stack.blog"])
        .assert_success();
    let before = world.aws.tagged_objects("acc-lost").await.expect("census");
    assert!(before.len() > 20, "the stack exists: {before:?}");

    let output = world.acceptance(true, &["--sweep-only", "--name", "acc-lost"]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert!(
        report.contains("swept acc-lost through the provider"),
        "{report}"
    );
    let left = world.aws.tagged_objects("acc-lost").await.expect("census");
    AwsInspector::assert_none_left(&left, "acc-lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_opt_in_it_refuses_and_creates_nothing() {
    let world = World::start().await;
    let output = world.acceptance(false, &["--name", "acc-refused"]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert!(report.contains("set WORDPRESS_ACC=1"), "{report}");
    assert!(
        world.proxy.stats().total_calls() == 0,
        "no AWS call was made\n{report}"
    );
}
