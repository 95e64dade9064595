# An analyst's base-R script written for ODK Central's CSV export, used unchanged on Lắng
# Nghe's export. Only base R (read.csv, merge, as.POSIXct). Each step prints "ok N".
#
#   Rscript central_analysis.R DIR FORM_ID REPEAT_NAME
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; form <- args[2]; repeat_name <- args[3]
step <- 0
ok <- function(what) { step <<- step + 1; cat(sprintf("ok %d %s\n", step, what)) }

# 1. read.csv with its defaults: names made syntactic (child-age -> child.age).
df <- read.csv(file.path(dir, paste0(form, ".csv")), encoding = "UTF-8")
stopifnot(names(df)[1] == "SubmissionDate")
ok("main table read")

# 2. Central's trailing columns, in order.
tail_cols <- c("KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
               "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits",
               "FormVersion")
stopifnot(identical(tail(names(df), 10), tail_cols))
ok("trailing metadata columns")

# 3. SubmissionDate in UTC with milliseconds.
sub <- as.POSIXct(df$SubmissionDate, format = "%Y-%m-%dT%H:%M:%OSZ", tz = "UTC")
stopifnot(!any(is.na(sub)))
ok("SubmissionDate parsed")

# 4. start/end with milliseconds and offset: drop the colon of the offset for %z.
stamp <- function(x) as.POSIXct(sub("([+-]\\d\\d):(\\d\\d)$", "\\1\\2", x),
                                 format = "%Y-%m-%dT%H:%M:%OS%z", tz = "UTC")
minutes <- as.numeric(difftime(stamp(df$end), stamp(df$start), units = "mins"))
stopifnot(!any(is.na(minutes)), all(minutes >= 0))
ok("interview length")

# 5. Ages are integers within the form's range.
stopifnot(is.integer(df$child.age), all(df$child.age >= 7 & df$child.age <= 17))
ok("integer column")

# 6. The repeat merges onto its parent by PARENT_KEY.
rep <- read.csv(file.path(dir, paste0(form, "-", repeat_name, ".csv")), encoding = "UTF-8")
m <- merge(rep, df[, c("KEY", "child.sex")], by.x = "PARENT_KEY", by.y = "KEY")
stopifnot(nrow(m) == nrow(rep))
ok("repeat merged")

# 7. Repeat KEYs: parent key, group path, position.
pat <- paste0("^uuid:[0-9a-f-]{36}/hh/", repeat_name, "\\[[0-9]+\\]$")
stopifnot(all(grepl(pat, rep$KEY)), all(startsWith(rep$KEY, rep$PARENT_KEY)))
ok("repeat KEY shape")

# 8. Siblings per child by sex, as a table.
t <- tapply(m$sib_age, m$child.sex, length)
stopifnot(sum(t) == nrow(rep))
ok("table by sex")

cat(sprintf("%d of 8 steps ran\n", step))
