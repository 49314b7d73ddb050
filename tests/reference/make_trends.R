# Reference values for tests/test_trends_reference.py: a trend over three waves, computed with
# R's survey package.
#
#   apt-get install r-cran-survey r-cran-jsonlite        (Debian)
#   Rscript tests/reference/make_trends.R
#
# Writes trends_sample.csv (one row per respondent: wave, sektor, region, answer),
# trends_population.csv (each wave's register counts per sektor x region cell) and
# trends_reference.json. The tests read the files only: they never need R. (The data are drawn
# here with R's random numbers; rerunning with another R may draw other data, and the
# reference follows the data.)
#
# Three waves of one single-choice question, each wave its own random sample from its own
# register (so each has its own fpc), answered unequally by cell so that the weights differ:
#   wave 2024  svydesign(ids = ~1, fpc = ~N)                          unweighted (srs)
#   wave 2025  svydesign(ids = ~1, strata = ~cell, fpc = ~N_cell)     post-stratified
#   wave 2026  svydesign(ids = ~1, strata = ~cell, fpc = ~N_cell)     post-stratified
# Per wave: svymean of each answer's indicator (share and SE). Between consecutive waves, the
# two-sample z test of independent samples, z = (p2 - p1) / sqrt(se1^2 + se2^2), two-sided
# normal p, Holm over the answers of the question between the same two waves
# (p.adjust(method = "holm")), flagged at 5 %. As a check of the independence, the same
# difference from svyglm(y ~ wave) on the two waves stacked, each wave's strata its own
# (svyttest gives the same difference and SE, with a t-based p, also written).

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
set.seed(20261203)

waves <- c("2024", "2025", "2026")
designs <- c("srs", "poststrat", "poststrat")
codes <- c("bra", "varken", "daligt", "vet_ej")
sektorer <- c("Kommun", "Region", "Stat")
regioner <- c("Nord", "Syd")
cells <- expand.grid(region = regioner, sektor = sektorer, stringsAsFactors = FALSE)
cells <- cells[, c("sektor", "region")]

# Register counts per cell and respondents per cell, per wave (the register grows).
register <- list(
  c(420, 310, 160, 110, 40, 25),
  c(430, 320, 170, 115, 45, 25),
  c(445, 330, 175, 120, 45, 30)
)
respondents <- list(
  c(60, 45, 40, 30, 14, 10),
  c(55, 50, 38, 28, 16, 12),
  c(64, 42, 44, 26, 15, 11)
)
# Chance of each answer by sektor and wave: little change 2024 -> 2025, much 2025 -> 2026.
chances <- list(
  list(Kommun = c(.42, .28, .22, .08), Region = c(.36, .30, .26, .08), Stat = c(.25, .30, .35, .10)),
  list(Kommun = c(.39, .29, .25, .07), Region = c(.33, .30, .29, .08), Stat = c(.24, .30, .36, .10)),
  list(Kommun = c(.27, .30, .37, .06), Region = c(.25, .30, .38, .07), Stat = c(.20, .28, .42, .10))
)

sample_rows <- list()
population_rows <- list()
for (w in seq_along(waves)) {
  for (k in seq_len(nrow(cells))) {
    s <- cells$sektor[k]
    r <- cells$region[k]
    population_rows[[length(population_rows) + 1]] <- data.frame(
      wave = waves[w], sektor = s, region = r, count = register[[w]][k]
    )
    n <- respondents[[w]][k]
    answers <- sample(codes, n, replace = TRUE, prob = chances[[w]][[s]])
    sample_rows[[length(sample_rows) + 1]] <- data.frame(
      wave = waves[w], sektor = s, region = r, answer = answers
    )
  }
}
d <- do.call(rbind, sample_rows)
pop <- do.call(rbind, population_rows)
write.csv(d, file.path(dir, "trends_sample.csv"), row.names = FALSE, fileEncoding = "UTF-8")
write.csv(pop, file.path(dir, "trends_population.csv"), row.names = FALSE,
          fileEncoding = "UTF-8")

for (code in codes) d[[code]] <- as.numeric(d$answer == code)
d$cell <- paste(d$sektor, d$region, sep = ":")
pop$cell <- paste(pop$sektor, pop$region, sep = ":")
d$N <- NA_real_
d$N_cell <- NA_real_
for (w in waves) {
  in_wave <- d$wave == w
  p <- pop[pop$wave == w, ]
  d$N[in_wave] <- sum(p$count)
  d$N_cell[in_wave] <- p$count[match(d$cell[in_wave], p$cell)]
}
stopifnot(!anyNA(d$N_cell))
formula <- as.formula(paste("~", paste(codes, collapse = " + ")))

wave_design <- function(w) {
  dw <- d[d$wave == w, ]
  if (designs[match(w, waves)] == "srs") {
    svydesign(ids = ~1, fpc = ~N, data = dw)
  } else {
    svydesign(ids = ~1, strata = ~cell, fpc = ~N_cell, data = dw)
  }
}

estimates <- list()
out_waves <- list()
for (w in waves) {
  des <- wave_design(w)
  m <- svymean(formula, des)
  est <- list()
  for (code in codes) {
    est[[code]] <- list(share = unname(coef(m)[code]), se = unname(SE(m)[code]))
  }
  estimates[[w]] <- est
  out_waves[[length(out_waves) + 1]] <- list(
    wave = w, design = designs[match(w, waves)], n = nrow(des$variables),
    N = unname(d$N[d$wave == w][1]), estimates = est
  )
}

# The waves stacked: strata are the wave's own (the srs wave one stratum), fpc as per wave.
d$stratum <- ifelse(d$wave == "2024", "2024", paste(d$wave, d$cell, sep = ":"))
d$fpc_stacked <- ifelse(d$wave == "2024", d$N, d$N_cell)
d$weight <- NA_real_
for (w in waves) {
  in_wave <- d$wave == w
  if (designs[match(w, waves)] == "srs") {
    d$weight[in_wave] <- d$N[in_wave] / sum(in_wave)
  } else {
    n_cell <- table(d$cell[in_wave])
    d$weight[in_wave] <- d$N_cell[in_wave] / as.numeric(n_cell[d$cell[in_wave]])
  }
}

changes <- list()
for (i in 2:length(waves)) {
  a <- waves[i - 1]
  b <- waves[i]
  pair <- d[d$wave %in% c(a, b), ]
  pair$later <- as.numeric(pair$wave == b)
  stacked <- svydesign(ids = ~1, strata = ~stratum, fpc = ~fpc_stacked, weights = ~weight,
                       data = pair)
  rows <- list()
  for (code in codes) {
    p1 <- estimates[[a]][[code]]$share
    p2 <- estimates[[b]][[code]]$share
    se <- sqrt(estimates[[a]][[code]]$se^2 + estimates[[b]][[code]]$se^2)
    z <- (p2 - p1) / se
    fit <- svyglm(as.formula(paste(code, "~ later")), design = stacked)
    tt <- svyttest(as.formula(paste(code, "~ later")), design = stacked)
    rows[[code]] <- list(
      from = a, to = b, code = code, earlier = p1, later = p2, difference = p2 - p1,
      se = se, z = z, p_value = 2 * pnorm(-abs(z)),
      difference_svyglm = unname(coef(fit)["later"]),
      se_svyglm = unname(SE(fit)["later"]),
      p_svyttest = unname(tt$p.value)
    )
  }
  p_adj <- p.adjust(sapply(rows, function(r) r$p_value), method = "holm")
  for (code in codes) {
    rows[[code]]$p_holm <- unname(p_adj[code])
    rows[[code]]$significant <- unname(p_adj[code] <= 0.05)
    changes[[length(changes) + 1]] <- rows[[code]]
  }
}

reference <- list(
  generated_with = paste("R", getRversion(), "survey", packageVersion("survey")),
  codes = codes,
  waves = out_waves,
  changes = changes
)
writeLines(toJSON(reference, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(dir, "trends_reference.json"))
cat("wrote trends_sample.csv, trends_population.csv, trends_reference.json\n")
