# Reference values for welcome_eval.retention, computed with R's survival package.
#
# Run from the repository root:
#
#     Rscript tests/reference/survival.R --export   # re-export the CSV extracts first
#     Rscript tests/reference/survival.R            # only recompute the JSON
#
# It reads tests/reference/survival_{lung,veteran,mgus2,rats}.csv (the same files
# the Python tests read) and writes tests/reference/survival.json at full
# precision (jsonlite, digits = NA). Needs the R packages survival (>= 3.4) and
# jsonlite. Definitions shared with tests/test_retention.py:
#
#   * lung: event = status - 1 (status 1 = censored, 2 = dead); sex 1 = male,
#     2 = female (numeric); ph.ecog numeric with one NA (rows with NA in a
#     model variable are dropped by model.frame, as welcome_eval drops them);
#     grp3 = "none" for the censored rows with ph.ecog == 0 (a group without
#     events), otherwise sex ("1", "2"), NA where ph.ecog is NA;
#   * veteran: celltype is a factor with R's level order squamous, smallcell,
#     adeno, large (first level = reference); trt 1 = standard, 2 = test;
#   * vet2 = survSplit(Surv(time, status) ~ ., veteran, cut = c(90, 180),
#     episode = "tgroup", id = "id"): rows (tstart, time] per subject, the
#     status on the last row only; karno1/karno2/karno3 = karno on rows of
#     tgroup 1/2/3 and 0 elsewhere (a time-varying Karnofsky effect);
#   * mgus2 (competing risks, survival vignette "compete"):
#     etime = ifelse(pstat == 0, futime, ptime),
#     event = ifelse(pstat == 0, 2 * death, 1), 0 = censored, 1 = pcm
#     (progression to plasma cell malignancy), 2 = death before progression;
#   * rats: litter is the cluster; "rats_f" = the female rats (as in the
#     coxph help page), "rats_all" = all 300 rats with sex as a factor (f, m);
#   * Kaplan-Meier: survfit defaults (Greenwood variance, conf.type = "log");
#     std_err is survfit's $std.err (the standard error of -log S);
#   * every coxph fit uses its default control (eps = 1e-9, iter.max = 20),
#     which stops Newton-Raphson when the log likelihood changes by less than
#     1e-9 relative, except "lung_efron_converged": eps = 1e-12,
#     toler.chol = 1e-13, iter.max = 100 (converged to machine precision).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

ref_dir <- file.path("tests", "reference")
csv <- function(name) file.path(ref_dir, paste0("survival_", name, ".csv"))
json_path <- file.path(ref_dir, "survival.json")

if ("--export" %in% commandArgs(trailingOnly = TRUE)) {
  write.csv(survival::lung[, c("time", "status", "sex", "age", "ph.ecog")], csv("lung"),
            row.names = FALSE, na = "")
  vet <- survival::veteran
  vet$celltype <- as.character(vet$celltype)
  write.csv(vet, csv("veteran"), row.names = FALSE, na = "")
  m <- survival::mgus2
  m$etime <- ifelse(m$pstat == 0, m$futime, m$ptime)
  m$event <- ifelse(m$pstat == 0, 2 * m$death, 1)
  write.csv(m[, c("id", "sex", "etime", "event")], csv("mgus2"), row.names = FALSE, na = "")
  write.csv(survival::rats, csv("rats"), row.names = FALSE, na = "")
  message("wrote the CSV extracts")
}

lung <- read.csv(csv("lung"))
veteran <- read.csv(csv("veteran"))
veteran$celltype <- factor(veteran$celltype, levels = c("squamous", "smallcell", "adeno", "large"))
mgus2 <- read.csv(csv("mgus2"))
mgus2$event <- factor(mgus2$event, 0:2, labels = c("censor", "pcm", "death"))
rats <- read.csv(csv("rats"))
rats$sex <- factor(rats$sex)
rats_f <- rats[rats$sex == "f", ]
lung$grp3 <- ifelse(lung$status == 1 & lung$ph.ecog %in% 0, "none", as.character(lung$sex))
lung$grp3[is.na(lung$ph.ecog)] <- NA

vet2 <- survSplit(Surv(time, status) ~ ., data = veteran, cut = c(90, 180),
                  episode = "tgroup", id = "id")
for (k in 1:3) vet2[[paste0("karno", k)]] <- vet2$karno * (vet2$tgroup == k)

num <- function(x) as.numeric(unname(x))
group_labels <- function(strata, counts) {
  if (is.null(strata)) rep("all", counts) else rep(sub("^[^=]*=", "", names(strata)), strata)
}

# ---------------------------------------------------------------------------
# Kaplan-Meier

km_case <- function(formula, data, conf_level = 0.95, times = c(180, 365, 730),
                    probs = c(0.25, 0.5, 0.75)) {
  fit <- survfit(formula, data = data, conf.int = conf_level)
  s <- summary(fit, times = times)
  q <- quantile(fit, probs)
  tbl <- summary(fit)$table
  if (!is.matrix(tbl)) tbl <- matrix(tbl, nrow = 1, dimnames = list(NULL, names(tbl)))
  qgroups <- if (is.null(fit$strata)) "all" else sub("^[^=]*=", "", names(fit$strata))
  as_matrix <- function(x) if (is.matrix(x)) x else matrix(x, nrow = 1)
  list(
    conf_level = conf_level,
    curve = list(group = group_labels(fit$strata, length(fit$time)), time = num(fit$time),
                 n_risk = num(fit$n.risk), n_event = num(fit$n.event),
                 n_censor = num(fit$n.censor), surv = num(fit$surv),
                 std_err = num(fit$std.err), lower = num(fit$lower), upper = num(fit$upper)),
    summary = list(times = times,
                   group = if (is.null(s$strata)) rep("all", length(s$time))
                           else sub("^[^=]*=", "", as.character(s$strata)),
                   time = num(s$time), n_risk = num(s$n.risk), n_event = num(s$n.event),
                   n_censor = num(s$n.censor), surv = num(s$surv), std_err = num(s$std.err),
                   lower = num(s$lower), upper = num(s$upper)),
    # quantile(fit, probs): one row per group and prob (group-major)
    quantile = list(probs = probs, group = rep(qgroups, each = length(probs)),
                    prob = rep(probs, length(qgroups)),
                    quantile = num(t(as_matrix(q$quantile))),
                    lower = num(t(as_matrix(q$lower))), upper = num(t(as_matrix(q$upper)))),
    # print(fit): median, LCL, UCL per group
    print = list(group = qgroups, median = num(tbl[, "median"]), lcl = num(tbl[, 8]),
                 ucl = num(tbl[, 9]), n = num(tbl[, "records"]), events = num(tbl[, "events"]))
  )
}

km <- list(
  lung_overall = km_case(Surv(time, status) ~ 1, lung),
  lung_sex = km_case(Surv(time, status) ~ sex, lung),
  lung_sex_90 = km_case(Surv(time, status) ~ sex, lung, conf_level = 0.9),
  veteran_trt = km_case(Surv(time, status) ~ trt, veteran, times = c(30, 90, 180, 365, 999)),
  lung_grp3 = km_case(Surv(time, status) ~ grp3, lung)
)

# ---------------------------------------------------------------------------
# log-rank tests

logrank_case <- function(formula, data) {
  fit <- survdiff(formula, data = data)
  obs <- if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs
  exp <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
  list(group = sub("^[^=]*=", "", names(fit$n)), n = num(fit$n), observed = num(obs),
       expected = num(exp), var_diag = num(diag(fit$var)), var = unname(fit$var),
       oe2_e = num((obs - exp)^2 / exp), oe2_v = num((obs - exp)^2 / diag(fit$var)),
       chisq = fit$chisq, df = sum(exp > 0) - 1, p = fit$pvalue)
}

logrank <- list(
  lung_sex = logrank_case(Surv(time, status) ~ sex, lung),
  lung_sex_strata_ecog = logrank_case(Surv(time, status) ~ sex + strata(ph.ecog), lung),
  veteran_celltype = logrank_case(Surv(time, status) ~ celltype, veteran),
  lung_grp3 = logrank_case(Surv(time, status) ~ grp3, lung)
)

# ---------------------------------------------------------------------------
# Cox models

cox_case <- function(formula, data, ties = "efron", zph = TRUE, control = coxph.control()) {
  # do.call puts the data into the call, so cox.zph() can rebuild the model frame
  fit <- do.call(coxph, list(formula, data = data, ties = ties, control = control))
  sm <- summary(fit)
  robust <- !is.null(fit$naive.var)
  naive_var <- if (robust) fit$naive.var else fit$var
  ci <- sm$conf.int
  rec <- list(
    ties = ties, iter = fit$iter, terms = names(coef(fit)), coef = num(coef(fit)),
    se = num(sqrt(diag(naive_var))), z = num(sm$coefficients[, "z"]),
    p = num(sm$coefficients[, "Pr(>|z|)"]), hazard_ratio = num(ci[, "exp(coef)"]),
    hr_low = num(ci[, 3]), hr_high = num(ci[, 4]), loglik = num(fit$loglik),
    n = fit$n, nevent = fit$nevent,
    concordance = num(fit$concordance["concordance"]),
    concordance_se = num(fit$concordance["std"]),
    concordance_counts = num(fit$concordance[1:5])
  )
  if (robust) rec$robust_se <- num(sqrt(diag(fit$var)))
  if (zph) {
    z <- cox.zph(fit)
    rec$zph <- list(term = rownames(z$table), chisq = num(z$table[, "chisq"]),
                    df = num(z$table[, "df"]), p = num(z$table[, "p"]))
  }
  rec
}

lung_formula <- Surv(time, status) ~ age + sex + ph.ecog
cox <- list(
  lung_efron = cox_case(lung_formula, lung, "efron"),
  lung_breslow = cox_case(lung_formula, lung, "breslow"),
  lung_efron_converged = cox_case(lung_formula, lung, "efron",
                                  control = coxph.control(eps = 1e-12, toler.chol = 1e-13,
                                                          iter.max = 100)),
  veteran_celltype = cox_case(Surv(time, status) ~ trt + celltype + karno, veteran),
  veteran_strata = cox_case(Surv(time, status) ~ trt + karno + strata(celltype), veteran),
  rats_f_cluster = cox_case(Surv(time, status) ~ rx + cluster(litter), rats_f, zph = FALSE),
  rats_f_cluster_breslow = cox_case(Surv(time, status) ~ rx + cluster(litter), rats_f,
                                    "breslow", zph = FALSE),
  rats_all_cluster = cox_case(Surv(time, status) ~ rx + sex + cluster(litter), rats, zph = FALSE),
  vet2_timevarying = cox_case(Surv(tstart, time, status) ~ trt + karno1 + karno2 + karno3, vet2),
  vet2_constant = cox_case(Surv(tstart, time, status) ~ trt + karno, vet2),
  vet2_timevarying_breslow = cox_case(Surv(tstart, time, status) ~ trt + karno1 + karno2 + karno3,
                                      vet2, "breslow"),
  vet2_cluster_id = cox_case(Surv(tstart, time, status) ~ trt + karno1 + karno2 + karno3 +
                               cluster(id), vet2, zph = FALSE)
)

# ---------------------------------------------------------------------------
# Aalen-Johansen cumulative incidence (competing risks)

aj_case <- function(formula, data) {
  fit <- survfit(formula, data = data)
  states <- c("pcm", "death")
  groups <- group_labels(fit$strata, length(fit$time))
  out <- list(states = states, group = groups, time = num(fit$time),
              n_risk = num(fit$n.risk[, 1]))
  for (s in states) {
    k <- match(s, fit$states)
    out[[s]] <- list(pstate = num(fit$pstate[, k]), std_err = num(fit$std.err[, k]),
                     lower = num(fit$lower[, k]), upper = num(fit$upper[, k]),
                     n_event = num(fit$n.event[, k]))
  }
  out
}

aj <- list(
  mgus2_overall = aj_case(Surv(etime, event) ~ 1, mgus2),
  mgus2_sex = aj_case(Surv(etime, event) ~ sex, mgus2)
)

result <- list(
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  inputs = list(
    veteran_celltype_levels = levels(veteran$celltype),
    vet2_rows = nrow(vet2),
    mgus2_states = c("censor", "pcm", "death")
  ),
  km = km, logrank = logrank, cox = cox, aj = aj
)
write_json(result, json_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", json_path)
