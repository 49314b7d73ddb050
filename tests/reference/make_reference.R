# Reference values for tests/test_estimation_engine.py, computed with R's survey package.
#
#   apt-get install r-cran-survey r-cran-jsonlite        (Debian)
#   Rscript tests/reference/make_reference.R
#
# Reads sample.csv, population_cells.csv and population_margins.csv (written once by
# make_data.R) and writes reference.json. The tests only read the JSON: they never need R.
#
# Designs (all start from the 310 respondents as an equal-probability sample of N = 6 200):
#   srs        svydesign(ids = ~1, fpc = ~N)                    unweighted, fpc 1 - n/N
#   srs_nofpc  svydesign(ids = ~1, weights = ~1)                no fpc (population unknown)
#   poststrat  svydesign(ids = ~1, strata = ~cell, fpc = ~N_cell)
#              the weighting cells as strata, their register counts as fpc (the issue's
#              definition of the post-stratified variance)
#   poststratify_linearised
#              postStratify(srs, ~cell, ...): same weights, the variance survey's
#              postStratify() gives (cell-centred residuals, overall fpc)
#   raking     calibrate(srs, ~region + sector, ..., calfun = "raking")
#
# Estimates: shares of each option (indicators o1..o5) overall and by region and sector
# (svyby = domains of the whole design), the same with "Vet ej" excluded (subset), the two
# multiple-choice indicators, the mean of the 1-10 scale, and the covariance of domain
# shares (svyby(..., covmat = TRUE)) for group comparisons: each group against the rest, and
# every pair of groups with its z test's p-value and Holm's adjustment over the pairs of one
# breakdown (p.adjust(method = "holm")), the pairs' SEs checked against svyglm(y ~ 0 + group)
# with svycontrast(); and t-based intervals (svyciprop(method = "mean" / "logit") and
# confint(svymean) with df = degf() of the domain: respondents in the domain minus strata).

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
options(survey.lonely.psu = "fail")

here <- function() {
  args <- commandArgs(trailingOnly = FALSE)
  file <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(file)) dirname(normalizePath(file)) else getwd()
}
dir <- here()

d <- read.csv(file.path(dir, "sample.csv"), fileEncoding = "UTF-8", stringsAsFactors = FALSE)
cells <- read.csv(file.path(dir, "population_cells.csv"), fileEncoding = "UTF-8",
                  stringsAsFactors = FALSE)
margins <- read.csv(file.path(dir, "population_margins.csv"), fileEncoding = "UTF-8",
                    stringsAsFactors = FALSE)

option_labels <- c("Mycket nöjd", "Ganska nöjd", "Ganska missnöjd", "Mycket missnöjd", "Vet ej")
option_vars <- paste0("o", seq_along(option_labels))
regions <- c("Norr", "Mitt", "Syd", "Stockholm")
sectors <- c("Kommun", "Region", "Privat")

for (k in seq_along(option_labels)) d[[option_vars[k]]] <- as.numeric(d$answer == option_labels[k])
d$region <- factor(d$region, levels = regions)
d$sector <- factor(d$sector, levels = sectors)
d$cell <- paste(d$region, d$sector, sep = ":")
cells$cell <- paste(cells$region, cells$sector, sep = ":")
N <- sum(cells$count)
d$N <- N
d$N_cell <- cells$count[match(d$cell, cells$cell)]
stopifnot(!anyNA(d$N_cell))

srs <- svydesign(ids = ~1, fpc = ~N, data = d)
srs_nofpc <- svydesign(ids = ~1, weights = ~1, data = d)
poststrat <- svydesign(ids = ~1, strata = ~cell, fpc = ~N_cell, data = d)
ps_pop <- data.frame(cell = cells$cell, Freq = cells$count)
poststratify_linearised <- postStratify(srs, ~cell, ps_pop)

region_totals <- setNames(margins$count[margins$margin == "region"],
                          margins$level[margins$margin == "region"])
sector_totals <- setNames(margins$count[margins$margin == "sector"],
                          margins$level[margins$margin == "sector"])
stopifnot(sum(region_totals) == N, sum(sector_totals) == N)
# model.matrix(~region + sector): intercept, regions but the first, sectors but the first
raking_totals <- c(
  `(Intercept)` = N,
  setNames(region_totals[regions[-1]], paste0("region", regions[-1])),
  setNames(sector_totals[sectors[-1]], paste0("sector", sectors[-1]))
)
raking <- calibrate(srs, ~region + sector, population = raking_totals, calfun = "raking",
                    epsilon = 1e-12, maxit = 200)

designs <- list(
  srs = srs,
  srs_nofpc = srs_nofpc,
  poststrat = poststrat,
  poststratify_linearised = poststratify_linearised,
  raking = raking
)

records <- list()
add <- function(design, kind, variables, labels, by, level, exclude, est, se, deff) {
  for (j in seq_along(variables)) {
    records[[length(records) + 1]] <<- list(
      design = design, kind = kind, variable = labels[j], by = by, level = level,
      exclude_vet_ej = exclude, estimate = unname(est[j]), se = unname(se[j]),
      deff = unname(deff[j])
    )
  }
}

estimate_all <- function(name, des, deff_kind) {
  sets <- list(
    list(kind = "share", vars = option_vars, labels = option_labels, exclude = FALSE),
    list(kind = "share", vars = option_vars[1:4], labels = option_labels[1:4], exclude = TRUE),
    list(kind = "share", vars = c("mc_lon", "mc_arbetsmiljo"),
         labels = c("mc_lon", "mc_arbetsmiljo"), exclude = FALSE),
    list(kind = "mean", vars = "score", labels = "score", exclude = FALSE),
    list(kind = "mean", vars = "score", labels = "score", exclude = TRUE)
  )
  for (s in sets) {
    des_s <- if (s$exclude) subset(des, answer != "Vet ej") else des
    f <- as.formula(paste("~", paste(s$vars, collapse = " + ")))
    m <- svymean(f, des_s, deff = deff_kind)
    add(name, s$kind, s$vars, s$labels, NULL, NULL, s$exclude, coef(m), SE(m), deff(m))
    for (by in c("region", "sector")) {
      b <- svyby(f, as.formula(paste0("~", by)), des_s, svymean, deff = deff_kind)
      levels_b <- as.character(b[[by]])
      cm <- matrix(coef(b), nrow = length(levels_b), dimnames = list(levels_b, s$vars))
      sm <- matrix(as.matrix(SE(b)), nrow = length(levels_b), dimnames = list(levels_b, s$vars))
      # deff(b) refuses deff = "replace"; the DEff columns hold the same numbers
      dm <- matrix(as.matrix(as.data.frame(b)[, grep("^DEff", names(b))]),
                   nrow = length(levels_b),
                   dimnames = list(levels_b, s$vars))
      for (lv in levels_b) {
        add(name, s$kind, s$vars, s$labels, by, lv, s$exclude, cm[lv, ], sm[lv, ], dm[lv, ])
      }
    }
  }
}

comparisons <- list()

# Covariance matrix of the shares of `v` in the domains `groups` (logical vectors over all
# respondents): each domain's influence function from svymean(..., influence = TRUE) on the
# domain with its rows kept at zero weight, then svyrecvar() over the whole design, which is
# what svyby(..., covmat = TRUE) does. (survey 4.1's svyby(covmat = TRUE) stops with "number
# of items to replace is not a multiple of replacement length" on postStratify()d and
# calibrate()d designs, whose subsets keep every row; on the other designs the two agree, as
# checked below.)
domain_vcov <- function(des, v, groups) {
  f <- as.formula(paste0("~", v))
  stats <- lapply(groups, function(g) svymean(f, des[g, , drop = FALSE], influence = TRUE))
  infl <- do.call(cbind, lapply(stats, attr, "influence"))
  V <- survey:::svyrecvar(infl, des$cluster, des$strata, des$fpc, postStrata = des$postStrata)
  list(estimate = sapply(stats, coef), vcov = V)
}

compare_all <- function(name, des) {
  answer <- des$variables$answer
  for (exclude in c(FALSE, TRUE)) {
    keep <- if (exclude) answer != "Vet ej" else rep(TRUE, length(answer))
    for (k in 1:4) {
      v <- option_vars[k]
      for (by in c("region", "sector")) {
        byvar <- as.character(des$variables[[by]])
        levels_b <- if (by == "region") regions else sectors
        groups <- lapply(levels_b, function(lv) keep & byvar == lv)
        dv <- domain_vcov(des, v, groups)
        est <- dv$estimate
        V <- dv$vcov
        if (name %in% c("srs", "srs_nofpc", "poststrat")) {
          b <- svyby(as.formula(paste0("~", v)), as.formula(paste0("~", by)),
                     des[keep, , drop = FALSE], svymean, covmat = TRUE)
          order_b <- match(levels_b, as.character(b[[by]]))
          stopifnot(isTRUE(all.equal(unname(coef(b))[order_b], unname(est), tolerance = 1e-12)))
          stopifnot(isTRUE(all.equal(unname(vcov(b))[order_b, order_b], unname(V),
                                     tolerance = 1e-10)))
        }
        # the same covariance as a model: svyglm(y ~ 0 + group) on the (sub)sample
        sub <- des[keep, , drop = FALSE]
        sub$variables$group <- factor(as.character(sub$variables[[by]]), levels = levels_b)
        # (warnings: zero-weight rows left out of the dispersion, which the SEs do not use)
        fit <- suppressWarnings(svyglm(as.formula(paste0(v, " ~ 0 + group")), design = sub))
        stopifnot(isTRUE(all.equal(unname(coef(fit)), unname(est), tolerance = 1e-10)))
        pairs <- list()
        for (i in seq_along(levels_b)) {
          for (j in seq_along(levels_b)) {
            if (j <= i) next
            contrast <- numeric(length(levels_b))
            contrast[c(i, j)] <- c(1, -1)
            difference <- sum(contrast * est)
            se <- sqrt(drop(t(contrast) %*% V %*% contrast))
            named <- setNames(contrast, names(coef(fit)))
            glm_se <- as.numeric(SE(svycontrast(fit, named)))
            stopifnot(isTRUE(all.equal(glm_se, se, tolerance = 1e-8)))
            pairs[[length(pairs) + 1]] <- list(
              design = name, variable = option_labels[k], by = by, exclude_vet_ej = exclude,
              group = levels_b[i], versus = levels_b[j],
              difference = difference, se = se, se_svyglm = glm_se,
              p_value = 2 * pnorm(-abs(difference / se))
            )
          }
        }
        holm <- p.adjust(sapply(pairs, `[[`, "p_value"), method = "holm")
        for (i in seq_along(pairs)) {
          pairs[[i]]$p_holm <- holm[i]
          comparisons[[length(comparisons) + 1]] <<- pairs[[i]]
        }
        # each group against the rest of the (sub)sample
        for (i in seq_along(levels_b)) {
          group <- groups[[i]]
          rest <- keep & !group
          dr <- domain_vcov(des, v, list(group, rest))
          contrast <- c(1, -1)
          comparisons[[length(comparisons) + 1]] <<- list(
            design = name, variable = option_labels[k], by = by, exclude_vet_ej = exclude,
            group = levels_b[i], versus = NULL,
            difference = sum(contrast * dr$estimate),
            se = sqrt(drop(t(contrast) %*% dr$vcov %*% contrast))
          )
        }
      }
    }
  }
}

intervals <- list()

# t-based intervals of a domain (a subset of the design): df = degf() of the subset, which is
# its respondents minus the strata they are in (svyciprop's default df = degf(design)).
t_intervals <- function(name, des) {
  answer <- des$variables$answer
  for (exclude in c(FALSE, TRUE)) {
    keep <- if (exclude) answer != "Vet ej" else rep(TRUE, length(answer))
    domains <- list(list(by = NULL, level = NULL, rows = keep))
    for (by in c("region", "sector")) {
      byvar <- as.character(des$variables[[by]])
      for (lv in (if (by == "region") regions else sectors)) {
        domains[[length(domains) + 1]] <- list(by = by, level = lv, rows = keep & byvar == lv)
      }
    }
    for (dom in domains) {
      sub <- des[dom$rows, , drop = FALSE]
      df <- degf(sub)
      for (k in seq_along(option_labels)) {
        if (exclude && k == 5) next
        f <- as.formula(paste0("~", option_vars[k]))
        for (method in c("mean", "logit")) {
          ci <- svyciprop(f, sub, method = method, df = df, level = 0.95)
          intervals[[length(intervals) + 1]] <<- list(
            design = name, kind = "share", variable = option_labels[k], by = dom$by,
            level = dom$level, exclude_vet_ej = exclude,
            method = if (method == "mean") "wald" else "logit", df = df,
            estimate = as.numeric(ci), ci_low = as.numeric(confint(ci)[1]),
            ci_high = as.numeric(confint(ci)[2])
          )
        }
      }
      m <- svymean(~score, sub)
      ci <- confint(m, df = df, level = 0.95)
      intervals[[length(intervals) + 1]] <<- list(
        design = name, kind = "mean", variable = "score", by = dom$by, level = dom$level,
        exclude_vet_ej = exclude, method = "wald", df = df, estimate = unname(coef(m)),
        ci_low = unname(ci[1, 1]), ci_high = unname(ci[1, 2])
      )
    }
  }
}

for (name in names(designs)) {
  deff_kind <- if (name == "srs_nofpc") "replace" else TRUE
  estimate_all(name, designs[[name]], deff_kind)
  compare_all(name, designs[[name]])
  if (name %in% c("srs", "poststrat", "raking")) t_intervals(name, designs[[name]])
}

weights_by_design <- lapply(designs, function(des) unname(weights(des)))

out <- list(
  generated_by = "tests/reference/make_reference.R",
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  population = N,
  options = option_labels,
  ids = d$id,
  weights = weights_by_design,
  estimates = records,
  comparisons = comparisons,
  t_intervals = intervals
)
write_json(out, file.path(dir, "reference.json"), auto_unbox = TRUE, digits = NA,
           na = "null", null = "null", pretty = TRUE)
cat("wrote", length(records), "estimates,", length(comparisons), "comparisons and",
    length(intervals), "t-based intervals\n")
