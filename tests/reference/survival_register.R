# Reference values for welcome_eval.retention on an extract of the synthetic register
# (issue 5), computed with R's survival package.
#
# Run from the repository root:
#
#     Rscript tests/reference/survival_register.R
#
# Reads tests/reference/survival_register.csv (3,256 persons in 1,608 households: a 1 %
# household sample of welcome_eval.synth_register.register_extract(2018), written by the
# Python snippet in tests/reference/SOURCES_survival_register.md) and writes
# tests/reference/survival_register.json at full precision (jsonlite, digits = NA).
# Needs the R packages survival (>= 3.4) and jsonlite.
#
# Definitions shared with tests/test_retention.py (the Python side derives them with
# welcome_eval.retention.register_stays and welcome_eval.programme_effect.person_periods):
#
#   * extract date (Stichtag) 2025-12-31; end of stay = move-out (auszug) or the extract
#     date; days = end - move-in (einzug); jahre = days / 365.25;
#   * weg_region = 1 if wegzug_ziel is 2, 3 or 4 (moved out of Suedwestfalen), else 0;
#     weg_kommune = 1 if wegzug_ziel is 1-4 (any move), else 0;
#   * ende_art (competing ends): 0 still registered (censored), 1 moved within the
#     region, 2 left the region, 3 died (wegzug_ziel 5);
#   * Cox data (rows with jahre > 0): alter = year of move-in - geburtsjahr;
#     altersgruppe = [0, 18) "unter 18", [18, 30) "18–29", [30, 45) "30–44",
#     [45, 65) "45–64", [65, Inf) "65+", reference level "18–29"; kinder_im_haushalt =
#     1 if a member of the household is under 18 at move-in; herkunft and fachkraft
#     factors (first level = reference);
#   * time-varying participation: join_at = (beitritt - einzug) in days / 365.25; a stay
#     with 0 < join_at < jahre is split into (0, join_at] with participating = 0 and no
#     event and (join_at, jahre] with participating = 1 and the stay's event; otherwise
#     one row with participating = 1 if join_at <= 0, else 0 (never joined: beitritt
#     empty);
#   * Cox fits converged to machine precision: coxph.control(eps = 1e-12,
#     toler.chol = 1e-13, iter.max = 100); robust variance with cluster(haushalt_id).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

ref_dir <- file.path("tests", "reference")
reg <- read.csv(file.path(ref_dir, "survival_register.csv"), colClasses = "character",
                encoding = "UTF-8")
extract_date <- as.Date("2025-12-31")
for (column in c("einzug", "auszug", "beitritt")) {
  reg[[column]] <- as.Date(ifelse(reg[[column]] == "", NA, reg[[column]]))
}
for (column in c("wegzug_ziel", "geburtsjahr")) {
  reg[[column]] <- as.numeric(ifelse(reg[[column]] == "", NA, reg[[column]]))
}
ende <- reg$auszug
ende[is.na(ende)] <- extract_date
reg$days <- as.numeric(ende - reg$einzug)
reg$jahre <- reg$days / 365.25
reg$weg_region <- as.integer(reg$wegzug_ziel %in% 2:4)
reg$weg_kommune <- as.integer(reg$wegzug_ziel %in% 1:4)
reg$ende_art <- ifelse(is.na(reg$wegzug_ziel), 0,
                       ifelse(reg$wegzug_ziel == 1, 1, ifelse(reg$wegzug_ziel == 5, 3, 2)))
reg$ende <- factor(reg$ende_art, 0:3, labels = c("censor", "within", "region", "death"))

# covariates of the Cox models
alter <- as.numeric(format(reg$einzug, "%Y")) - reg$geburtsjahr
labels <- c("unter 18", "18–29", "30–44", "45–64", "65+")
reg$altersgruppe <- cut(alter, c(-Inf, 18, 30, 45, 65, Inf), right = FALSE, labels = labels)
reg$altersgruppe <- relevel(reg$altersgruppe, ref = "18–29")
reg$kinder_im_haushalt <- as.integer(ave(alter < 18, reg$haushalt_id, FUN = any))
reg$herkunft <- factor(reg$herkunft)
reg$fachkraft <- factor(reg$fachkraft)
cox_rows <- reg[reg$jahre > 0, ]

# counting-process rows, split at the join date
join_at <- as.numeric(cox_rows$beitritt - cox_rows$einzug) / 365.25
never <- is.na(join_at) | !(join_at < cox_rows$jahre)
from_start <- !is.na(join_at) & join_at <= 0
split <- !never & !from_start
whole <- cox_rows[!split, ]
whole$start <- 0
whole$stop <- whole$jahre
whole$participating <- as.integer(from_start[!split])
before <- cox_rows[split, ]
before$start <- 0
before$stop <- join_at[split]
before$participating <- 0L
before$weg_region <- 0L
after <- cox_rows[split, ]
after$start <- join_at[split]
after$stop <- after$jahre
after$participating <- 1L
periods <- rbind(whole, before, after)

num <- function(x) as.numeric(unname(x))
strata_labels <- function(strata) sub("^[^=]*=", "", as.character(strata))
TIMES <- c(0.5, 1, 2, 3, 5, 10)

# ---------------------------------------------------------------------------
# Kaplan-Meier

km_case <- function(formula, data, curve = FALSE, times = TIMES) {
  fit <- survfit(formula, data = data)
  s <- summary(fit, times = times)
  tbl <- summary(fit)$table
  if (!is.matrix(tbl)) tbl <- matrix(tbl, nrow = 1, dimnames = list(NULL, names(tbl)))
  groups <- if (is.null(fit$strata)) "all" else strata_labels(names(fit$strata))
  out <- list(
    summary = list(times = times,
                   group = if (is.null(s$strata)) rep("all", length(s$time))
                           else strata_labels(s$strata),
                   time = num(s$time), n_risk = num(s$n.risk), n_event = num(s$n.event),
                   n_censor = num(s$n.censor), surv = num(s$surv), std_err = num(s$std.err),
                   lower = num(s$lower), upper = num(s$upper)),
    print = list(group = groups, n = num(tbl[, "records"]), events = num(tbl[, "events"]),
                 median = num(tbl[, "median"]), lcl = num(tbl[, "0.95LCL"]),
                 ucl = num(tbl[, "0.95UCL"]))
  )
  if (curve) {
    out$curve <- list(time = num(fit$time), n_risk = num(fit$n.risk),
                      n_event = num(fit$n.event), n_censor = num(fit$n.censor),
                      surv = num(fit$surv), std_err = num(fit$std.err),
                      lower = num(fit$lower), upper = num(fit$upper))
  }
  out
}

km <- list(
  region = km_case(Surv(jahre, weg_region) ~ 1, reg, curve = TRUE),
  kommune = km_case(Surv(jahre, weg_kommune) ~ 1, reg),
  region_kreis = km_case(Surv(jahre, weg_region) ~ kreis, reg),
  region_ags = km_case(Surv(jahre, weg_region) ~ ags, reg, times = 2)
)

# ---------------------------------------------------------------------------
# log-rank tests

logrank_case <- function(formula, data) {
  fit <- survdiff(formula, data = data)
  obs <- if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs
  exp <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
  list(group = sub("^[^=]*=", "", names(fit$n)), n = num(fit$n), observed = num(obs),
       expected = num(exp), var = unname(fit$var), chisq = fit$chisq,
       df = sum(exp > 0) - 1, p = fit$pvalue)
}

logrank <- list(
  herkunft = logrank_case(Surv(jahre, weg_region) ~ herkunft, reg),
  herkunft_strata_kreis = logrank_case(Surv(jahre, weg_region) ~ herkunft + strata(kreis), reg),
  fachkraft = logrank_case(Surv(jahre, weg_region) ~ fachkraft, reg)
)

# ---------------------------------------------------------------------------
# Cox models

converged <- coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 100)

cox_case <- function(formula, data, ties) {
  # do.call puts the data into the call, so cox.zph() can rebuild the model frame
  fit <- do.call(coxph, list(formula, data = data, ties = ties, control = converged))
  sm <- summary(fit)
  ci <- sm$conf.int
  z <- cox.zph(fit)
  list(
    ties = ties, terms = names(coef(fit)), coef = num(coef(fit)),
    se = num(sqrt(diag(fit$naive.var))), robust_se = num(sqrt(diag(fit$var))),
    z = num(sm$coefficients[, "z"]), p = num(sm$coefficients[, "Pr(>|z|)"]),
    hazard_ratio = num(ci[, "exp(coef)"]), hr_low = num(ci[, 3]), hr_high = num(ci[, 4]),
    loglik = num(fit$loglik), n = fit$n, nevent = fit$nevent,
    concordance = num(fit$concordance["concordance"]),
    concordance_se = num(fit$concordance["std"]),
    zph = list(term = rownames(z$table), chisq = num(z$table[, "chisq"]),
               df = num(z$table[, "df"]), p = num(z$table[, "p"]))
  )
}

person <- Surv(jahre, weg_region) ~ altersgruppe + herkunft + fachkraft + kinder_im_haushalt +
  cluster(haushalt_id)
timevarying <- Surv(start, stop, weg_region) ~ participating + altersgruppe + herkunft +
  fachkraft + kinder_im_haushalt + cluster(haushalt_id)
cox <- list(
  person_efron = cox_case(person, cox_rows, "efron"),
  person_breslow = cox_case(person, cox_rows, "breslow"),
  timevarying_efron = cox_case(timevarying, periods, "efron"),
  timevarying_breslow = cox_case(timevarying, periods, "breslow")
)

# ---------------------------------------------------------------------------
# Aalen-Johansen: moved within the region vs left the region vs died

STATES <- c("within", "region", "death")
GRID <- seq(0.25, 15.75, by = 0.25)  # every quarter year of the 16-year window
aj_times <- function(fit, times) {
  s <- summary(fit, times = times)
  out <- list(times = times,
              group = if (is.null(s$strata)) rep("all", length(s$time))
                      else strata_labels(s$strata),
              time = num(s$time), n_risk = num(s$n.risk[, 1]))
  for (st in STATES) {
    k <- match(st, s$states)
    out[[st]] <- list(pstate = num(s$pstate[, k]), std_err = num(s$std.err[, k]),
                      lower = num(s$lower[, k]), upper = num(s$upper[, k]))
  }
  out
}
aj <- list(
  overall = aj_times(survfit(Surv(jahre, ende) ~ 1, data = reg), GRID),
  kreis = aj_times(survfit(Surv(jahre, ende) ~ kreis, data = reg), TIMES)
)

result <- list(
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  inputs = list(rows = nrow(reg), households = length(unique(reg$haushalt_id)),
                days_sum = sum(reg$days), cox_rows = nrow(cox_rows),
                period_rows = nrow(periods), states = STATES,
                altersgruppe_levels = levels(reg$altersgruppe)),
  km = km, logrank = logrank, cox = cox, aj = aj
)
write_json(result, file.path(ref_dir, "survival_register.json"), digits = NA,
           auto_unbox = TRUE)
message("wrote ", file.path(ref_dir, "survival_register.json"))
