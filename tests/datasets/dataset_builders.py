"""Builders of small, format-faithful copies of the dataset layouts (used by conftest and tests)."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import numpy as np

# (id, rating, text) per split and label; ids 0, 2, 10 check numeric (not lexical) order
REVIEWS = {
    ("train", "neg"): [
        (10, 1, "Awful.<br /><br />I don't recommend it. Bad bad bad."),
        (0, 3, "Bad plot, bad acting; the Café scene is dull."),
        (2, 4, "Not good. Not terrible. Boring<br/>overall."),
    ],
    ("train", "pos"): [
        (2, 10, "Great film! Great cast, great music."),
        (10, 7, "I liked it, and the ending is good."),
        (0, 8, "A good, fun movie: don't miss it."),
    ],
    ("test", "neg"): [
        (0, 2, "Bad. A zyzzyva could act better."),
        (1, 4, "Boring and long.<br /><br />Bad."),
        (2, 1, "Terrible film."),
    ],
    ("test", "pos"): [
        (0, 9, "Great! Good acting, good story."),
        (1, 10, "Loved it; a zyzzyva of a film."),
        (2, 7, "Good."),
    ],
}


def write_imdb(root: Path) -> Path:
    """aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt plus the extra official files."""
    top = root / "aclImdb"
    for (split, label), rows in REVIEWS.items():
        folder = top / split / label
        folder.mkdir(parents=True, exist_ok=True)
        for review_id, rating, text in rows:
            (folder / f"{review_id}_{rating}.txt").write_text(text, encoding="utf-8")
        (top / split / f"urls_{label}.txt").write_text("http://www.imdb.com/title/tt0000001/\n")
    (top / "train" / "unsup").mkdir()
    (top / "train" / "unsup" / "0_0.txt").write_text("Unlabelled review, ignored.")
    (top / "README").write_text("Large Movie Review Dataset v1.0\n")
    (top / "imdb.vocab").write_text("the\nbad\ngood\n")
    return top


def tar_gz(src: Path, archive: Path) -> Path:
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src, arcname=src.name)
    return archive


def zip_dir(src: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(src, src.name + "/")
        for path in sorted(src.rglob("*")):
            zf.write(path, f"{src.name}/{path.relative_to(src).as_posix()}")
    return archive


# -- MovieLens -------------------------------------------------------------------------------

ML100K_USERS, ML100K_ITEMS = 6, 8


def ml100k_table() -> np.ndarray:
    """40 distinct (user, item) ratings, raw ids 1-based, file order shuffled, some tied times."""
    dropped = {(u, u) for u in range(1, 7)} | {(1, 7), (2, 8)}
    pairs = [
        (u, i)
        for u in range(1, ML100K_USERS + 1)
        for i in range(1, ML100K_ITEMS + 1)
        if (u, i) not in dropped
    ]
    # rows 2k and 2k+1 share a timestamp (ties for the temporal split)
    rows = [(u, i, 1 + k % 5, 880000000 + 1000 * (k // 2)) for k, (u, i) in enumerate(pairs)]
    table = np.array(rows, np.int64)
    return table[np.random.default_rng(7).permutation(len(table))]


def write_ml100k(root: Path) -> Path:
    top = root / "ml-100k"
    top.mkdir(parents=True)
    table = ml100k_table()

    def dump(name: str, rows: np.ndarray) -> None:
        text = "".join("\t".join(str(v) for v in row) + "\n" for row in rows)
        (top / name).write_text(text)

    dump("u.data", table)
    fold = np.arange(len(table)) % 5 + 1  # the five test sets partition the ratings
    for k in range(1, 6):
        dump(f"u{k}.base", table[fold != k])
        dump(f"u{k}.test", table[fold == k])
    (top / "u.info").write_text(f"{ML100K_USERS} users\n{ML100K_ITEMS} items\n40 ratings\n")
    (top / "u.item").write_text("".join(f"{i}|Movie {i} (1995)|\n" for i in range(1, 9)))
    (top / "README").write_text("MovieLens 100K (fixture)\n")
    return top


LATEST_HEADER = "userId,movieId,rating,timestamp"
LATEST_ROWS = [
    (1, 1, 4.0, 964982703),
    (1, 3, 4.5, 964981247),
    (1, 50, 5.0, 964982931),
    (2, 1, 0.5, 1445714835),
    (2, 318, 3.0, 1445714835),  # same second as the row above
    (3, 50, 2.5, 1306463578),
    (3, 193609, 1.0, 1306464000),
    (4, 3, 3.5, 1537799250),
    (4, 318, 4.0, 1537799250),
    (5, 1, 2.0, 828124615),
]


def write_latest(root: Path, name: str = "ml-latest-small") -> Path:
    top = root / name
    top.mkdir(parents=True)
    lines = [LATEST_HEADER] + [f"{u},{i},{r:.1f},{t}" for u, i, r, t in LATEST_ROWS]
    (top / "ratings.csv").write_text("\n".join(lines) + "\n")
    movies = ["movieId,title,genres", "1,Toy Story (1995),Animation", "3,Grumpier (1995),Comedy",
              "50,Usual Suspects (1995),Crime", "318,Shawshank (1994),Drama",
              "193609,Andrew Dice Clay (1993),Comedy"]
    (top / "movies.csv").write_text("\n".join(movies) + "\n")
    (top / "README.txt").write_text("ml-latest-small fixture\n")
    return top
