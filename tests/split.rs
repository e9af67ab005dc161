//! A 40-page PDF of 6 generated documents (several pages each: a title page
//! and continuation pages), with and without separator sheets (blank sheets
//! and QR sheets naming the dossier), is split into exactly its 6 documents:
//! each a submission of its own holding its page range, linked to the scan;
//! splitting again makes the same parts.
//!
//! Each page is OCRed once (its top); each variant takes a few minutes.

use docseal::intake::{take_in_split, Known, SplitTakenIn};
use docseal::pipeline::PipelineOptions;
use docseal::queue::{Intake, Reviews, SqliteQueue};
use docseal::samples::{dossier, DossierDoc, Separator};
use docseal::store::{DirStore, ObjectKind, ObjectStore};

/// The seed of the generated pages: not one the splitting was tuned on.
/// `DOCSEAL_SPLIT_SEED` chooses another.
fn seed() -> u64 {
    std::env::var("DOCSEAL_SPLIT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2027)
}

/// Six documents (generator indices: the types in turn, 8 is a paper of no
/// known type) and their page counts; `before` separates them.
fn docs(sizes: [usize; 6], before: [Separator; 6]) -> Vec<DossierDoc> {
    let indices = [3, 6, 8, 1, 5, 2];
    (0..6)
        .map(|i| DossierDoc {
            index: indices[i],
            pages: sizes[i],
            before: before[i],
        })
        .collect()
}

async fn splits_into_its_documents(docs: Vec<DossierDoc>) {
    let seed = seed();
    let scan = dossier(seed, &docs, false).expect("the dossier scan");
    let pages = lopdf::Document::load_mem(&scan.pdf)
        .expect("a PDF")
        .get_pages()
        .len();
    assert_eq!(pages, 40, "the scan has 40 pages");

    let dir = tempfile::tempdir().unwrap();
    let queue = SqliteQueue::open(&dir.path().join("q.sqlite"))
        .await
        .unwrap();
    let store = DirStore::new(dir.path().join("objects"));
    let options = PipelineOptions::default();
    // A procedure code given for the scan goes to each of its parts.
    let known = Known {
        procedure_code: Some("1.004227".into()),
        ..Known::default()
    };
    let started = std::time::Instant::now();
    let taken = take_in_split(
        &queue,
        &store,
        "dossier.pdf",
        scan.pdf.clone(),
        &options,
        &known,
        false,
    )
    .await
    .expect("split");
    eprintln!(
        "seed {seed}: split 40 pages in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let SplitTakenIn::Parts { source_id, parts } = taken else {
        panic!("taken in whole: {taken:?}");
    };
    let found: Vec<(u32, u32)> = parts.iter().map(|p| (p.first_page, p.last_page)).collect();
    assert_eq!(found, scan.ranges, "kinds {:?}", scan.kinds);

    // The scan is kept as it came; each part is its own PDF of its pages,
    // with the dossier code of the QR sheet before it.
    assert!(store
        .get(&ObjectKind::Scan.key_for_sha256(&source_id))
        .await
        .unwrap()
        .is_some());
    for (part, code) in parts.iter().zip(&scan.dossier_codes) {
        let bytes = store
            .get(&ObjectKind::Scan.key_for_sha256(&part.part_id))
            .await
            .unwrap()
            .expect("the part's bytes");
        let n = lopdf::Document::load_mem(&bytes).unwrap().get_pages().len();
        assert_eq!(n as u32, part.last_page - part.first_page + 1);
        let meta = queue.meta(&part.part_id).await.unwrap();
        assert_eq!(&meta.dossier_code, code, "part {part:?}");
        assert_eq!(meta.procedure_code.as_deref(), Some("1.004227"));
        assert_eq!(
            queue.part_source(&part.part_id).await.unwrap().as_ref(),
            Some(part)
        );
    }
    assert_eq!(queue.parts_of(&source_id).await.unwrap(), parts);

    // Again: the same parts, from what was recorded.
    let again = take_in_split(
        &queue,
        &store,
        "dossier.pdf",
        scan.pdf,
        &options,
        &known,
        false,
    )
    .await
    .expect("split again");
    match again {
        SplitTakenIn::Parts { parts: same, .. } => assert_eq!(same, parts),
        other => panic!("taken in whole: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_pages_of_six_documents_without_separators() {
    use Separator::None as N;
    splits_into_its_documents(docs([8, 5, 9, 6, 7, 5], [N; 6])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_pages_of_six_documents_with_separator_sheets() {
    use Separator::{Blank as B, Qr as Q};
    // 34 pages of documents and 6 separator sheets.
    splits_into_its_documents(docs([7, 5, 7, 5, 6, 4], [Q, B, Q, B, B, Q])).await;
}
