# Reference values for welcome_eval.survey, computed with R's survey package.
#
# Run from the repository root:
#
#     Rscript tests/reference/survey_design.R
#
# It reads tests/reference/survey_api.csv (the same file the Python tests read)
# and writes tests/reference/survey_design.json at full precision
# (jsonlite, digits = NA). Needs the R packages survey (>= 4.1) and jsonlite.
# To re-export the CSV from survey's `api` data first:
#
#     Rscript tests/reference/survey_design.R --export
#
# Definitions shared with tests/test_survey.py:
#   * api99na = ifelse(api00 > 700, NA, api99)  (missing values for na.rm = TRUE);
#   * proportions: share of sch.wide == "Yes" (awards == "Yes" in the raked
#     design, where sch.wide is a raking margin and its share has no variance);
#   * equal = apistrat as an equal-probability sample, weight w_equal = 0.1,
#     used for quantiles only;
#   * strat_clus = apistrat as a stratified cluster sample: districts (dnum)
#     nested in school types (nest = TRUE), no fpc;
#   * lonely-PSU data = the apistrat rows with stype E or M plus the first row
#     (in file order) with stype H, so stratum H holds a single PSU;
#   * raking margins = population counts of stype and sch.wide in survey's
#     apipop (the population the api samples were drawn from);
#   * every svymean/svytotal/svyby call uses deff = TRUE and na.rm = TRUE;
#     intervals of means and totals are confint() defaults (normal quantiles).

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

csv_path <- file.path("tests", "reference", "survey_api.csv")
json_path <- file.path("tests", "reference", "survey_design.json")
columns <- c("snum", "dnum", "stype", "awards", "sch.wide", "api00", "api99", "enroll", "pw", "fpc")

data(api, package = "survey", envir = environment())

if ("--export" %in% commandArgs(trailingOnly = TRUE)) {
  export <- rbind(
    cbind(sample = "apistrat", apistrat[, columns]),
    cbind(sample = "apiclus1", apiclus1[, columns])
  )
  write.csv(export, csv_path, row.names = FALSE, na = "")
  message("wrote ", csv_path)
}

api <- read.csv(csv_path, stringsAsFactors = FALSE)
api$api99na <- ifelse(api$api00 > 700, NA, api$api99)
strat <- api[api$sample == "apistrat", ]
clus1 <- api[api$sample == "apiclus1", ]
strat$fpc_fraction <- ave(strat$fpc, strat$stype, FUN = length) / strat$fpc
strat$w_equal <- 0.1
first_h <- which(strat$stype == "H")[1]
lonely <- strat[strat$stype != "H" | seq_len(nrow(strat)) == first_h, ]

pop_stype <- as.data.frame(table(stype = apipop$stype), stringsAsFactors = FALSE)
pop_schwide <- as.data.frame(table(sch.wide = apipop$sch.wide), stringsAsFactors = FALSE)

designs <- list(
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat),
  strat_fraction = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc_fraction,
                             data = strat),
  strat_nofpc = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat),
  strat_clus = svydesign(id = ~dnum, strata = ~stype, weights = ~pw, nest = TRUE, data = strat),
  clus1 = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1),
  equal = svydesign(id = ~1, weights = ~w_equal, data = strat),
  lonely = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = lonely)
)
raked <- withCallingHandlers(
  rake(designs$clus1, list(~stype, ~sch.wide), list(pop_stype, pop_schwide),
       control = list(maxit = 100, epsilon = 1e-10)),
  warning = function(w) stop("raking did not converge: ", conditionMessage(w))
)
designs$clus1_raked <- raked

cases <- list()
add <- function(...) cases[[length(cases) + 1]] <<- list(...)

num <- function(x) as.numeric(unname(x))

add_meantotal <- function(design_id, fun, variable, level = 0.95, lonely_psu = "fail") {
  old <- options(survey.lonely.psu = lonely_psu)
  on.exit(options(old))
  design <- designs[[design_id]]
  f <- match.fun(paste0("svy", fun))
  est <- f(as.formula(paste0("~", variable)), design, deff = TRUE, na.rm = TRUE)
  ci <- confint(est, level = level)
  add(id = paste(design_id, fun, variable, lonely_psu, level, sep = "/"),
      design = design_id, statistic = fun, variable = variable, conf_level = level,
      lonely_psu = lonely_psu,
      n = sum(!is.na(design$variables[[variable]])),
      estimate = num(coef(est)), se = num(SE(est)),
      ci_low = num(ci[1, 1]), ci_high = num(ci[1, 2]), deff = num(deff(est)))
}

add_by <- function(design_id, fun, variable, group, level = 0.95) {
  design <- designs[[design_id]]
  b <- svyby(as.formula(paste0("~", variable)), as.formula(paste0("~", group)), design,
             match.fun(paste0("svy", fun)), deff = TRUE, na.rm = TRUE)
  ci <- confint(b, level = level)
  v <- design$variables
  n <- sapply(b[[group]], function(g) sum(v[[group]] == g & !is.na(v[[variable]])))
  add(id = paste(design_id, "by", fun, variable, group, level, sep = "/"),
      design = design_id, statistic = paste0("by_", fun), variable = variable, group = group,
      conf_level = level, groups = as.character(b[[group]]), n = num(n),
      estimate = num(coef(b)), se = num(SE(b)), ci_low = num(ci[, 1]),
      ci_high = num(ci[, 2]), deff = num(deff(b)))
}

add_proportion <- function(design_id, variable, category, level = 0.95) {
  design <- designs[[design_id]]
  design$variables$indicator <- as.numeric(design$variables[[variable]] == category)
  m <- svymean(~indicator, design, deff = TRUE)
  wald <- confint(m, level = level)
  f <- as.formula(sprintf('~I(%s == "%s")', variable, category))
  logit <- svyciprop(f, design, method = "logit", level = level)
  logit_inf <- svyciprop(f, design, method = "logit", level = level, df = Inf)
  base <- list(design = design_id, statistic = "proportion", variable = variable,
               level = category, conf_level = level, n = nrow(design$variables),
               deff = num(deff(m)), degf = degf(design))
  add_rec <- function(method, df, estimate, se, ci) {
    rec <- c(list(id = paste(design_id, "proportion", variable, category, method, df, level,
                             sep = "/"),
                  method = method, df = df, estimate = num(estimate), se = num(se),
                  ci_low = num(ci[1]), ci_high = num(ci[2])), base)
    cases[[length(cases) + 1]] <<- rec
  }
  add_rec("wald", "Inf", coef(m), SE(m), wald[1, ])
  add_rec("logit", "degf", coef(logit), sqrt(vcov(logit)), attr(logit, "ci"))
  add_rec("logit", "Inf", coef(logit_inf), sqrt(vcov(logit_inf)), attr(logit_inf, "ci"))
}

add_quantile <- function(design_id, variable, probs, level = 0.95, df = NULL) {
  design <- designs[[design_id]]
  q <- svyquantile(as.formula(paste0("~", variable)), design, probs, qrule = "math",
                   alpha = 1 - level, na.rm = TRUE, df = df)[[variable]]
  for (i in seq_along(probs)) {
    add(id = paste(design_id, "quantile", variable, probs[i], if (is.null(df)) "degf" else df,
                   level, sep = "/"),
        design = design_id, statistic = "quantile", variable = variable, q = probs[i],
        df = if (is.null(df)) "degf" else "Inf", conf_level = level,
        n = sum(!is.na(design$variables[[variable]])),
        degf = degf(design[!is.na(design$variables[[variable]]), ]),
        estimate = num(q[i, 1]), ci_low = num(q[i, 2]), ci_high = num(q[i, 3]),
        se = num(q[i, 4]))
  }
}

for (design_id in c("strat", "clus1", "clus1_raked")) {
  for (fun in c("mean", "total")) {
    for (variable in c("api00", "enroll", "api99na")) add_meantotal(design_id, fun, variable)
  }
  add_meantotal(design_id, "mean", "api00", level = 0.9)
  group <- if (design_id == "strat") "awards" else "stype"
  add_by(design_id, "mean", "api00", group)
  add_by(design_id, "mean", "api99na", group)
  add_by(design_id, "total", "enroll", group, level = 0.9)
  # sch.wide is a raking margin: its share has no sampling error in the raked design
  proportion_variable <- if (design_id == "clus1_raked") "awards" else "sch.wide"
  add_proportion(design_id, proportion_variable, "Yes")
  add_proportion(design_id, proportion_variable, "Yes", level = 0.9)
  add_quantile(design_id, "api00", c(0.25, 0.5))
  add_quantile(design_id, "api00", 0.5, level = 0.9, df = Inf)
  add_quantile(design_id, "api99na", 0.5)
}
add_by("clus1_raked", "mean", "api00", "awards")
for (design_id in c("strat_fraction", "strat_nofpc", "strat_clus")) {
  add_meantotal(design_id, "mean", "api00")
  add_meantotal(design_id, "total", "enroll")
}
add_meantotal("strat_clus", "mean", "api99na")
add_by("strat_clus", "mean", "api00", "awards")
# equal weights: cumulative weights hit q exactly, and q = 0.995 leaves [0, 1]
for (variable in c("api00", "enroll")) {
  add_quantile("equal", variable, c(0.1, 0.25, 0.5, 0.75, 0.995))
}
for (lonely_psu in c("certainty", "remove", "adjust", "average")) {
  for (fun in c("mean", "total")) add_meantotal("lonely", fun, "api00", lonely_psu = lonely_psu)
}

# the lonely-PSU design must fail under the default option, naming the stratum
lonely_error <- tryCatch({
  options(survey.lonely.psu = "fail")
  svymean(~api00, designs$lonely)
  NA_character_
}, error = function(e) conditionMessage(e))

result <- list(
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  inputs = list(
    pop_stype = setNames(as.list(pop_stype$Freq), pop_stype$stype),
    pop_schwide = setNames(as.list(pop_schwide$Freq), pop_schwide$sch.wide),
    raked_weights = num(weights(raked)),
    lonely_error = lonely_error
  ),
  cases = cases
)
write_json(result, json_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", json_path, " (", length(cases), " cases)")
