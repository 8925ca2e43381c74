//! `sampark-relay operator add|list|remove` with the real binary: a new key certified by the
//! relay as an operator over its own scope and kept in its store; the operator's private file
//! with an Argon2id password hash; plain refusals; removal revokes the key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod http_support;

use std::os::unix::fs::PermissionsExt;

use http_support::{Chain, add_operator, relay_cmd};
use sampark_crdt::{PublicKey, Role};
use sampark_node::ops::{Node, wall_clock};

fn refused(args: &[&str], stdin: &str, says: &str) {
    let run = relay_cmd(args, stdin);
    assert_eq!(run.code, 1, "{args:?} should fail: {}", run.stdout);
    assert!(run.stderr.contains(says), "{args:?}: {:?} does not say {says:?}", run.stderr);
}

#[test]
fn operators_are_added_listed_and_removed() {
    let chain = Chain::new();
    let block = chain.path("block");
    let home = block.to_str().unwrap();
    let add = |user: &'static str| vec!["operator", "add", "--home", home, "--user", user];

    // Refusals, before anything is made.
    refused(&add("asha"), "", "the password is empty");
    refused(&add("asha"), "short\n", "at least 8 characters");
    refused(&add("Asha Devi"), "long enough password\n", "is not a user name");
    refused(&add("../asha"), "long enough password\n", "is not a user name");
    refused(
        &["operator", "add", "--home", chain.path("phone").to_str().unwrap(), "--user", "x"],
        "long enough\n",
        "may not certify",
    );
    refused(
        &["operator", "add", "--home", chain.path("nowhere").to_str().unwrap(), "--user", "x"],
        "long enough\n",
        "",
    );

    let added = add_operator(&block, "asha", "पासवर्ड पक्का है");
    assert_eq!((added["user"].as_str(), added["scope"].as_str()), (Some("asha"), Some("BR/DBG/P07")));
    let key: PublicKey = added["key"].as_str().unwrap().parse().unwrap();
    refused(&add("asha"), "another password\n", "already an operator \"asha\"");
    add_operator(&block, "ravi.k", "ravi's password");

    // The file: private, with the key's secret and a PHC string, never the password.
    let file = block.join("operators/asha.json");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(block.join("operators")).unwrap().permissions().mode() & 0o777, 0o700);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("$argon2id$v=19$") && !text.contains("पासवर्ड पक्का है"), "{text}");

    // The certificate is in the relay's store, issued by the relay, counting now.
    let node = Node::open(&chain.home("block")).unwrap();
    let certs = node.trust_store().certificates_of(&key).to_vec();
    assert_eq!(certs.len(), 1);
    assert_eq!(
        (certs[0].role, certs[0].scope.as_str(), certs[0].issuer),
        (Role::Operator, "BR/DBG/P07", node.public())
    );
    assert!(!node.trust_store().grants(&key, wall_clock()).is_empty());
    drop(node);

    let list = relay_cmd(&["operator", "list", "--home", home, "--json"], "");
    let json = list.json();
    let users: Vec<&str> = json.as_array().unwrap().iter().map(|o| o["user"].as_str().unwrap()).collect();
    assert_eq!(users, ["asha", "ravi.k"]);
    assert!(!list.stdout.contains("argon2"), "no secrets in the list");

    // Removal revokes the key from now and deletes the file.
    refused(&["operator", "remove", "--home", home, "--user", "nobody"], "", "there is no operator \"nobody\"");
    let removed = relay_cmd(&["operator", "remove", "--home", home, "--user", "asha", "--json"], "");
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert!(!file.exists());
    let node = Node::open(&chain.home("block")).unwrap();
    assert!(node.trust_store().revoked_from(&key).is_some());
    assert!(node.trust_store().grants(&key, wall_clock().plus_millis(1000)).is_empty());
    drop(node);
    let list = relay_cmd(&["operator", "list", "--home", home], "");
    assert!(list.stdout.contains("ravi.k") && !list.stdout.contains("asha"), "{}", list.stdout);
}
