# Checks langnghe's design-based estimates against R's survey package, the reference
# statisticians use: for every indicator and every breakdown cell of a report, the weighted
# proportion and its Taylor-linearised standard error (strata, PSUs nested in strata, weights,
# with-replacement) must agree to 1e-6 relative. Input: the report's CSV (`report --format
# csv`) and its microdata (`report --microdata`), same run; with a sample plan, its file
# (the weights are adjusted for non-response per commune: children planned / completed), and
# with known totals, their file (the design is post-stratified to them with `postStratify`;
# a post-stratum the totals lack keeps its weights, as a total equal to its weight sum).
#   Rscript survey_check.R micro.csv report.csv [plan.csv [totals.csv]]
suppressMessages(library(survey))
options(survey.lonely.psu = "certainty")
args <- commandArgs(trailingOnly = TRUE)
m <- read.csv(args[1], colClasses = "character", check.names = FALSE, encoding = "UTF-8")
r <- read.csv(args[2], colClasses = "character", check.names = FALSE, fileEncoding = "UTF-8-BOM")
m$weight <- as.numeric(m$weight)
if (length(args) >= 3) {
  plan <- read.csv(args[3], colClasses = "character", encoding = "UTF-8")
  done <- table(paste(m$stratum, m$psu))
  key <- paste(m$stratum, m$psu)
  planned <- as.numeric(plan$children_to_select[match(key, paste(plan$province, plan$commune))])
  m$weight <- m$weight * planned / as.vector(done[key])
}
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = m)
if (length(args) >= 4) {
  tot <- read.csv(args[4], colClasses = "character", check.names = FALSE, encoding = "UTF-8")
  by <- setdiff(names(tot), "total")
  pop <- data.frame(lapply(setNames(by, paste0("by_", by)), function(b) tot[[b]]),
                    check.names = FALSE, stringsAsFactors = FALSE)
  pop$Freq <- as.numeric(tot$total)
  cols <- paste0("by_", by)
  cell <- do.call(paste, c(m[cols], sep = "\r"))
  known <- do.call(paste, c(pop[cols], sep = "\r"))
  out <- !(cell %in% known)
  if (any(out)) {
    extra <- aggregate(m$weight[out], m[out, cols, drop = FALSE], sum)
    names(extra)[ncol(extra)] <- "Freq"
    pop <- rbind(pop, extra)
  }
  des <- postStratify(des, as.formula(paste("~", paste0("`", cols, "`", collapse = " + "))),
                      pop, partial = TRUE)
}
close <- function(a, b) abs(a - b) <= 1e-6 * max(abs(a), abs(b)) + 1e-12
checked <- 0
bad <- 0
for (i in seq_len(nrow(r))) {
  row <- r[i, ]
  id <- row$indicator
  inside <- m[[paste0("in_", id)]] == "1"
  if (row$breakdown_name != "") {
    inside <- inside & m[[paste0("by_", row$breakdown_name)]] == row$cell_value
  }
  if (sum(inside) < 2) next
  d <- des
  d$variables$y <- as.numeric(ifelse(inside, m[[id]], "0"))
  e <- svymean(~y, subset(d, inside))
  p <- as.numeric(coef(e)); se <- as.numeric(SE(e))
  ours_p <- as.numeric(row$estimate); ours_se <- as.numeric(row$se)
  checked <- checked + 1
  if (!close(p, ours_p) || !close(se, ours_se)) {
    bad <- bad + 1
    cat(sprintf("DIFFERS %s %s=%s: R p=%.10f se=%.10f, langnghe p=%.10f se=%.10f\n",
                id, row$breakdown_name, row$cell_value, p, se, ours_p, ours_se))
  }
}
cat(sprintf("survey-check: %d estimates and standard errors compared with R survey %s, %d differ\n",
            checked, as.character(packageVersion("survey")), bad))
if (bad > 0 || checked == 0) quit(status = 1)
