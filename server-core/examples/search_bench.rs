//! Search benchmark: `GET /search` over real HTTP, against a data directory
//! holding a million messages.
//!
//! Seeding: the searcher registers over HTTP (one real password hash); 500
//! more people, 20 open rooms, 60 private groups and 300 direct
//! conversations are made through the [`Store`]; then the messages are
//! bulk-inserted into the same schema in large transactions, the search
//! index kept by its own triggers as it is for the server's writes. Text is
//! drawn from a Zipf-distributed vocabulary (a few hundred common English
//! words, then a long tail of made-up ones), 3 to 30 words a message; 2 %
//! of messages are files; all spread over a year. The searcher is in
//! General, 5 rooms, 10 groups and 20 direct conversations.
//!
//! Then a server is started on the directory and searches of each kind
//! are timed one at a time, from request to the last byte of the answer;
//! p50 and p99 per kind are printed as a Markdown table.
//!
//! `cargo run --release -p server-core --example search_bench -- --messages 1000000`
//! (`--data DIR` keeps the directory, and searches one already seeded as it
//! is; `--rounds N` searches of each kind, 200 by default.)

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{Days, Utc};
use rand::{distributions::WeightedIndex, prelude::*};
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use server_core::{
    Config, Server,
    db::Db,
    metrics::WriterMetrics,
    store::{ConversationId, ConversationKind, NewConversation, Store, UserId, now, timestamp},
};

const PEOPLE: usize = 500;
const ROOMS: usize = 20;
const GROUPS: usize = 60;
const DIRECTS: usize = 300;
const SEARCHER: &str = "searcher";
const PASSWORD: &str = "search-bench-password";
/// Rows per bulk-insert transaction.
const BATCH: usize = 50_000;

/// The most common words first: the head of the vocabulary.
const COMMON: &str = "the i you to a and is it that of in for we on be this can have at are \
    with so do not just but what will my me if your was about know get all meeting ok yes no \
    think there they like now go today time here one up out when lunch tomorrow work how need see \
    good thanks please could would should did been then some more from an our us by as or its \
    also still back new make sure let after first want call week morning team update project \
    review done send sent check looks great sorry next before any way well last really right \
    going day office plan friday monday release build test fixed issue bug deploy server client \
    design doc draft budget report slides notes question answer agree idea later soon again \
    number price order customer support email phone chat room file photo link version branch \
    merge change feature data table page user account login password screen mobile desktop app \
    status ticket sprint demo board hours minutes late early coffee home remote travel trip \
    holiday weekend birthday party dinner break meeting's can't don't it's i'm we're that's";

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ren", "tor", "sa", "vi", "den", "pul", "gra", "sho", "tin", "bel", "mar",
    "qui", "zo", "fen", "lu", "ber", "cas", "dra", "nim", "por", "wex",
];
/// Made-up words after the common ones: a long tail, as real text has.
const TAIL: usize = 30_000;

const FILE_KINDS: [&str; 12] = [
    "report",
    "budget",
    "plan",
    "photo",
    "invoice",
    "slides",
    "notes",
    "draft",
    "contract",
    "screenshot",
    "design",
    "schedule",
];
const EXTENSIONS: [&str; 6] = ["pdf", "png", "docx", "xlsx", "zip", "jpg"];

struct Args {
    messages: usize,
    data: Option<PathBuf>,
    rounds: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        messages: 1_000_000,
        data: None,
        rounds: 200,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--messages" => args.messages = value.parse().expect("--messages N"),
            "--data" => args.data = Some(value.into()),
            "--rounds" => args.rounds = value.parse().expect("--rounds N"),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// The vocabulary, most common first: the rank of a word is its index.
fn vocabulary() -> Vec<String> {
    let mut words: Vec<String> = COMMON.split_whitespace().map(str::to_owned).collect();
    words.dedup();
    for n in 0..TAIL {
        // Two syllables for the first 576, three after: all distinct.
        let (mut rest, count) = if n < 576 { (n, 2) } else { (n - 576, 3) };
        let mut word = String::new();
        for _ in 0..count {
            word.push_str(SYLLABLES[rest % SYLLABLES.len()]);
            rest /= SYLLABLES.len();
        }
        words.push(word);
    }
    words
}

fn config(dir: &Path) -> Config {
    let mut config = Config::new(dir);
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.log = "warn".into();
    config
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let temporary = tempfile::tempdir().expect("temp dir");
    let dir = args.data.clone().unwrap_or_else(|| temporary.path().into());
    std::fs::create_dir_all(&dir).expect("data directory");
    let database = dir.join("chatterbox.db");
    let words = vocabulary();

    if !database.exists() {
        seed(&dir, &args, &words).await;
    }
    let conn = Connection::open(&database).unwrap();
    let messages: i64 = conn
        .query_row("SELECT COUNT(*) FROM messages", [], |row| row.get(0))
        .unwrap();
    let index: i64 = conn
        .query_row(
            "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'message_index%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let size = std::fs::metadata(&database).unwrap().len();
    println!(
        "{messages} messages; database {:.0} MB, of which the search index {:.0} MB",
        size as f64 / 1e6,
        index as f64 / 1e6
    );

    let server = Server::start(config(&dir)).await.expect("server starts");
    let base = format!("http://{}", server.local_addr);
    let http = reqwest::Client::new();
    let token = login(&http, &base).await;
    let kinds = query_kinds(&database, &words);
    println!("\n| query | example | results | p50 | p99 |\n|---|---|---|---|---|");
    for (label, queries) in kinds {
        let mut latencies = Vec::with_capacity(args.rounds);
        let mut results = Vec::with_capacity(args.rounds);
        // A few first, untimed: the server's caches warm as in use.
        for query in queries.iter().cycle().take(10) {
            search(&http, &base, &token, query).await;
        }
        for query in queries.iter().cycle().take(args.rounds) {
            let started = Instant::now();
            let found = search(&http, &base, &token, query).await;
            latencies.push(started.elapsed());
            results.push(found);
        }
        latencies.sort();
        results.sort();
        let pct =
            |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        println!(
            "| {label} | `{}` | {} | {} | {} |",
            queries[0],
            results[results.len() / 2],
            ms(pct(0.50)),
            ms(pct(0.99)),
        );
    }
    server.shutdown().await.expect("clean shutdown");
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

async fn login(http: &reqwest::Client, base: &str) -> String {
    let login: Value = http
        .post(format!("{base}/login"))
        .json(&json!({ "username": SEARCHER, "password": PASSWORD }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    login["token"].as_str().expect("a token").to_owned()
}

/// Searches with `query` (a query string); the number of results.
async fn search(http: &reqwest::Client, base: &str, token: &str, query: &str) -> usize {
    let response = http
        .get(format!("{base}/search?{query}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("search");
    assert_eq!(response.status(), 200, "{query}");
    let body: Value = response.json().await.expect("json");
    body["results"].as_array().expect("results").len()
}

/// Each kind of search, with the query strings it cycles through.
fn query_kinds(database: &Path, words: &[String]) -> Vec<(&'static str, Vec<String>)> {
    let conn = Connection::open(database).unwrap();
    let searcher: UserId = conn
        .query_row(
            "SELECT id FROM users WHERE username = ?1",
            [SEARCHER],
            |r| r.get(0),
        )
        .unwrap();
    let general: ConversationId = conn
        .query_row(
            "SELECT id FROM conversations WHERE system_key = 'general'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let directs: Vec<ConversationId> = conn
        .prepare(
            "SELECT c.id FROM conversations c JOIN conversation_members cm
                 ON cm.conversation_id = c.id AND cm.user_id = ?1
             WHERE c.kind = 'direct' ORDER BY c.id",
        )
        .unwrap()
        .query_map([searcher], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let senders: Vec<UserId> = conn
        .prepare("SELECT id FROM users WHERE id <> ?1 ORDER BY id LIMIT 20")
        .unwrap()
        .query_map([searcher], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let (first, last): (String, String) = conn
        .query_row(
            "SELECT MIN(created_at), MAX(created_at) FROM messages",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let months: Vec<(String, String)> = (0..10)
        .map(|n| {
            let start = chrono::NaiveDate::parse_from_str(&first[..10], "%Y-%m-%d").unwrap()
                + Days::new(30 * (n + 1));
            (start.to_string(), (start + Days::new(30)).to_string())
        })
        .filter(|(_, end)| end.as_str() < &last[..10])
        .collect();
    let common: Vec<&str> = words[..10].iter().map(String::as_str).collect();
    let q = |text: &str| format!("q={}", encode(text));
    let head = words.len() - TAIL;
    vec![
        (
            "rare word (~50 messages)",
            (0..50)
                .map(|n| q(&words[head + 15_000 + n * 200]))
                .collect(),
        ),
        ("common word", common.iter().map(|w| q(w)).collect()),
        (
            "two common words",
            common
                .windows(2)
                .map(|pair| q(&format!("{} {}", pair[0], pair[1])))
                .collect(),
        ),
        (
            "prefix, 2 letters",
            ["th", "me", "wo", "to", "pr", "se"].map(q).to_vec(),
        ),
        (
            "prefix, 4 letters",
            ["meet", "tomo", "proj", "thin", "rele", "mort"]
                .map(q)
                .to_vec(),
        ),
        (
            "common word, one direct conversation",
            directs
                .iter()
                .zip(common.iter().cycle())
                .map(|(c, w)| format!("{}&conversation_id={c}", q(w)))
                .collect(),
        ),
        (
            "common word, General",
            common
                .iter()
                .map(|w| format!("{}&conversation_id={general}", q(w)))
                .collect(),
        ),
        (
            "common word, one sender",
            senders
                .iter()
                .zip(common.iter().cycle())
                .map(|(s, w)| format!("{}&sender_id={s}", q(w)))
                .collect(),
        ),
        (
            "common word, one month",
            months
                .iter()
                .zip(common.iter().cycle())
                .map(|((after, before), w)| format!("{}&after={after}&before={before}", q(w)))
                .collect(),
        ),
        (
            "common word, before a date (open range)",
            months
                .iter()
                .zip(common.iter().cycle())
                .map(|((_, before), w)| format!("{}&before={before}", q(w)))
                .collect(),
        ),
        (
            "file name, files only",
            FILE_KINDS
                .iter()
                .map(|k| format!("{}&has_file=true", q(k)))
                .collect(),
        ),
    ]
}

/// Percent-encodes a query parameter's value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

async fn seed(dir: &Path, args: &Args, words: &[String]) {
    let started = Instant::now();
    // The searcher, with a real password hash, through the API.
    let server = Server::start(config(dir)).await.expect("server starts");
    let response = reqwest::Client::new()
        .post(format!("http://{}/register", server.local_addr))
        .json(&json!({ "username": SEARCHER, "password": PASSWORD }))
        .send()
        .await
        .expect("register");
    assert_eq!(response.status(), 200, "the searcher registers");
    server.shutdown().await.expect("clean shutdown");

    let database = dir.join("chatterbox.db");
    let conversations = people_and_conversations(&database).await;
    println!(
        "seeded {PEOPLE} people and {} conversations in {:.1?}",
        conversations.len(),
        started.elapsed()
    );

    let started = Instant::now();
    let path = database.clone();
    let messages = args.messages;
    let words = words.to_vec();
    tokio::task::spawn_blocking(move || bulk_insert(&path, &conversations, &words, messages))
        .await
        .expect("bulk insert ran");
    println!(
        "inserted {messages} messages (and their index entries) in {:.1?}",
        started.elapsed()
    );
}

/// A conversation, its members, and its share of the messages.
struct Seeded {
    id: ConversationId,
    members: Vec<UserId>,
    weight: f64,
}

async fn people_and_conversations(database: &Path) -> Vec<Seeded> {
    let (feed, _events) = flume::unbounded();
    let path = database.to_owned();
    let db = tokio::task::spawn_blocking(move || Db::open(&path, feed, WriterMetrics::default()))
        .await
        .unwrap()
        .expect("database opens");
    let store: Arc<dyn Store> = Arc::new(db);
    let mut rng = StdRng::seed_from_u64(7);
    let searcher = store.credentials(SEARCHER).await.unwrap().unwrap().0;
    let mut people = Vec::with_capacity(PEOPLE);
    for n in 0..PEOPLE {
        let id = store
            .create_user(&format!("person{n}"), "not a usable hash", now())
            .await
            .unwrap();
        people.push(id);
    }
    let mut all = people.clone();
    all.push(searcher);
    let general = Connection::open(database)
        .unwrap()
        .query_row(
            "SELECT id FROM conversations WHERE system_key = 'general'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let mut seeded = vec![Seeded {
        id: general,
        members: all,
        weight: 0.10,
    }];
    let mut create = async |kind, n: usize, size: std::ops::Range<usize>, with_searcher: bool| {
        let count = rng.gen_range(size);
        let mut members: Vec<UserId> = people.choose_multiple(&mut rng, count).copied().collect();
        if with_searcher {
            members.push(searcher);
        }
        let new = NewConversation {
            creator: members[0],
            kind,
            title: format!("{kind:?} {n}"),
            members: members.clone(),
        };
        let id = store.create_conversation(new, now()).await.unwrap();
        (id, members)
    };
    for n in 0..ROOMS {
        let (id, members) = create(ConversationKind::Room, n, 10..200, n < 5).await;
        seeded.push(Seeded {
            id,
            members,
            weight: 0.35 / ROOMS as f64,
        });
    }
    for n in 0..GROUPS {
        let (id, members) = create(ConversationKind::Group, n, 3..12, n < 10).await;
        seeded.push(Seeded {
            id,
            members,
            weight: 0.30 / GROUPS as f64,
        });
    }
    for n in 0..DIRECTS {
        let a = if n < 20 {
            searcher
        } else {
            *people.choose(&mut rng).unwrap()
        };
        let b = loop {
            let b = *people.choose(&mut rng).unwrap();
            if b != a {
                break b;
            }
        };
        let id = store.direct_conversation(a, b).await.unwrap();
        seeded.push(Seeded {
            id,
            members: vec![a, b],
            weight: 0.25 / DIRECTS as f64,
        });
    }
    store.close().await;
    seeded
}

/// Inserts `count` messages as the server stores them (row and event),
/// oldest first, over the year up to now.
fn bulk_insert(database: &Path, conversations: &[Seeded], words: &[String], count: usize) {
    let mut conn = Connection::open(database).unwrap();
    // Only the seeding goes without fsyncs: a crash here means seeding again.
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    conn.pragma_update(None, "cache_size", -256_000).unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    let choose_conversation = WeightedIndex::new(conversations.iter().map(|c| c.weight)).unwrap();
    // Zipf: a word's chance is inversely proportional to its rank.
    let choose_word = WeightedIndex::new((1..=words.len()).map(|rank| 1.0 / rank as f64)).unwrap();
    let start = Utc::now() - chrono::Duration::days(365);
    let step = chrono::Duration::days(365) / count.max(1) as i32;
    let mut inserted = 0;
    while inserted < count {
        let tx = conn.transaction().unwrap();
        {
            let mut message = tx
                .prepare(
                    "INSERT INTO messages (conversation_id, sender_id, kind, content, file_path,
                                           file_name, file_size, mime_type, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .unwrap();
            let mut event = tx
                .prepare(
                    "INSERT INTO events (conversation_id, kind, message_id, created_at)
                     VALUES (?1, 'posted', ?2, ?3)",
                )
                .unwrap();
            for n in inserted..(inserted + BATCH).min(count) {
                let conversation = &conversations[choose_conversation.sample(&mut rng)];
                let sender = *conversation.members.choose(&mut rng).unwrap();
                let at = timestamp(start + step * n as i32);
                if rng.gen_bool(0.02) {
                    let name = format!(
                        "{}-{}-{}.{}",
                        FILE_KINDS.choose(&mut rng).unwrap(),
                        words[choose_word.sample(&mut rng)],
                        rng.gen_range(1..100),
                        EXTENSIONS.choose(&mut rng).unwrap()
                    );
                    let path = format!("static/files/{n}_{name}");
                    message
                        .execute(params![
                            conversation.id,
                            sender,
                            "file",
                            None::<String>,
                            path,
                            name,
                            rng.gen_range(1_000..5_000_000),
                            "application/octet-stream",
                            at
                        ])
                        .unwrap();
                } else {
                    let length = 3 + (rng.r#gen::<f64>().powi(2) * 27.0) as usize;
                    let text = (0..length)
                        .map(|_| words[choose_word.sample(&mut rng)].as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    message
                        .execute(params![
                            conversation.id,
                            sender,
                            "text",
                            text,
                            None::<String>,
                            None::<String>,
                            None::<i64>,
                            None::<String>,
                            at
                        ])
                        .unwrap();
                }
                event
                    .execute(params![conversation.id, tx.last_insert_rowid(), at])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
        inserted = (inserted + BATCH).min(count);
        eprint!("\r{inserted} messages");
    }
    eprintln!();
}
