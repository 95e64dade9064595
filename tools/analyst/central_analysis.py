"""An analyst's script written for ODK Central's CSV export (the `.csv.zip` download and the
plain `FORM.csv`), used unchanged on Lắng Nghe's export. Nothing here knows about Lắng Nghe:
it reads the columns Central documents and writes. Each step prints `ok N` or fails.

    python central_analysis.py DIR ZIP FORM_ID REPEAT_NAME
DIR holds FORM.csv and FORM-REPEAT.csv (the default export); ZIP is FORM.csv.zip (export with
--zip --split-select-multiples), as Central would give them.
"""
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd

CENTRAL_TAIL = ["KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
                "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits",
                "FormVersion"]

folder, zipped, form, repeat = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
step = 0


def ok(what):
    global step
    step += 1
    print(f"ok {step} {what}")


# 1. The submissions table reads with pandas' defaults (UTF-8, no BOM, LF).
df = pd.read_csv(folder / f"{form}.csv")
assert df.columns[0] == "SubmissionDate", df.columns[0]
ok("main table read; first column SubmissionDate")

# 2. Central's trailing metadata columns, in Central's order.
assert list(df.columns[-10:]) == CENTRAL_TAIL, list(df.columns[-10:])
ok("trailing metadata columns")

# 3. SubmissionDate is UTC, ISO 8601 with milliseconds and Z.
sub = pd.to_datetime(df["SubmissionDate"], format="%Y-%m-%dT%H:%M:%S.%fZ", utc=True)
assert sub.notna().all()
ok("SubmissionDate parsed")

# 4. start/end as Collect writes them: milliseconds and offset; durations in minutes.
start = pd.to_datetime(df["start"], format="%Y-%m-%dT%H:%M:%S.%f%z")
end = pd.to_datetime(df["end"], format="%Y-%m-%dT%H:%M:%S.%f%z")
minutes = (end - start).dt.total_seconds() / 60
assert (minutes >= 0).all(), minutes.describe()
ok("interview length from start/end")

# 5. today is a date.
pd.to_datetime(df["today"], format="%Y-%m-%d")
ok("today parsed")

# 6. KEY is the instance id, uuid:…, one per row, and meta-instanceID equals it.
assert df["KEY"].str.match(r"^uuid:[0-9a-f-]{36}$").all()
assert df["KEY"].is_unique
assert (df["meta-instanceID"] == df["KEY"]).all()
ok("KEY and meta-instanceID")

# 7. Grouped questions are named group-question.
assert "child-age" in df.columns and "child-sex" in df.columns and "hh-n_sib" in df.columns
ok("group paths in column names")

# 8. Numbers are numbers.
assert pd.api.types.is_numeric_dtype(df["child-age"]), df["child-age"].dtype
assert df["child-age"].between(7, 17).all()
ok("integer column numeric")

# 9. Review state filters as on Central (blank until reviewed).
kept = df[df["ReviewState"].fillna("received") != "rejected"]
assert len(kept) == len(df)
ok("ReviewState filter")

# 10. Edits and attachments are integer counts.
for c in ["Edits", "AttachmentsPresent", "AttachmentsExpected"]:
    assert pd.api.types.is_integer_dtype(df[c]), (c, df[c].dtype)
ok("Edits/Attachments integer")

# 11. A time question as Collect writes it: HH:MM:SS.sss+hh:mm.
woke = df["child-woke"].dropna()
assert woke.str.match(r"^\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$").all(), woke.head()
ok("time answers")

# 12. The repeat table joins its parent on PARENT_KEY = KEY.
rep = pd.read_csv(folder / f"{form}-{repeat}.csv")
assert list(rep.columns[-2:]) == ["PARENT_KEY", "KEY"]
joined = rep.merge(df[["KEY", "child-age"]], left_on="PARENT_KEY", right_on="KEY",
                   suffixes=("", "_parent"), validate="many_to_one")
assert len(joined) == len(rep)
ok("repeat joined to submissions")

# 13. Repeat KEYs carry the group path and position: uuid:…/group/repeat[n].
pat = re.compile(r"^(uuid:[0-9a-f-]{36})/hh/" + re.escape(repeat) + r"\[(\d+)\]$")
m = rep["KEY"].str.extract(pat)
assert m.notna().all().all(), rep["KEY"].head()
assert (m[0] == rep["PARENT_KEY"]).all()
ok("repeat KEY shape")

# 14. Repeat counts agree with the question that set them.
counts = rep.groupby("PARENT_KEY").size()
n_sib = df.set_index("KEY")["hh-n_sib"]
assert (counts.reindex(n_sib.index, fill_value=0) == n_sib).all()
ok("repeat counts")

# 15. The .csv.zip download with split select_multiple columns: 0/1 integers, one per value
#     seen, agreeing with the space-separated answer.
with zipfile.ZipFile(zipped) as z:
    names = sorted(z.namelist())
    assert names == sorted([f"{form}.csv", f"{form}-{repeat}.csv"]), names
    with z.open(f"{form}.csv") as f:
        dz = pd.read_csv(f)
split = [c for c in dz.columns if c.startswith("child-activities/")]
assert split, list(dz.columns)
assert split == sorted(split)
for c in split:
    value = c.split("/", 1)[1]
    assert set(dz[c].unique()) <= {0, 1}, (c, dz[c].unique())
    picked = dz["child-activities"].fillna("").str.split().apply(lambda v: value in v)
    assert (picked.astype(int) == dz[c]).all(), c
ok("split select_multiple columns")

# 16. A participation share by sex, as the indicator tables would show it.
dz["took_part"] = dz[[c for c in split if not c.endswith("/none")]].max(axis=1)
table = dz.groupby("child-sex")["took_part"].mean()
assert table.between(0, 1).all()
ok("share taking part by sex")

print(f"{step} of 16 steps ran")
