#pragma once
/// \file eosdnn.hpp
/// The umbrella header: everything a user of eosdnn needs.

#include <eosdnn/version.hpp>

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/exact_result.hpp>
#include <eosdnn/core/gene_range.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/incremental.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/core/plan.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/core/result.hpp>
#include <eosdnn/core/stop_request.hpp>

#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/dominator_blocks.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/graph/merge_parameter_free.hpp>

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/feasibility.hpp>
#include <eosdnn/cost/incremental_chain.hpp>
#include <eosdnn/cost/incremental_dag.hpp>
#include <eosdnn/cost/list_schedule.hpp>
#include <eosdnn/cost/multi_task_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/cost/sequential_batch.hpp>
#include <eosdnn/cost/sequential_delay.hpp>

#include <eosdnn/optim/baselines/discrete_pso.hpp>
#include <eosdnn/optim/baselines/genetic_algorithm.hpp>
#include <eosdnn/optim/baselines/greedy.hpp>
#include <eosdnn/optim/baselines/random_search.hpp>
#include <eosdnn/optim/bucket_search.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/optim/exact_task_plan.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/large_moves.hpp>
#include <eosdnn/optim/local_search.hpp>
#include <eosdnn/optim/lower_bound.hpp>
#include <eosdnn/optim/min_sum_model.hpp>
#include <eosdnn/optim/optimiser.hpp>
#include <eosdnn/optim/pinned_problem.hpp>
#include <eosdnn/optim/pso_ga.hpp>
#include <eosdnn/optim/seeding.hpp>

#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/best_upload_order.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/efficiency_planner.hpp>
#include <eosdnn/upload/emdl.hpp>
#include <eosdnn/upload/ionn.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/reference_placement.hpp>
#include <eosdnn/upload/task_simulation.hpp>
#include <eosdnn/upload/upload_plan.hpp>
#include <eosdnn/upload/upload_problem.hpp>
#include <eosdnn/upload/upload_units.hpp>

#include <eosdnn/io/atomic_file.hpp>
#include <eosdnn/io/default_environment.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/io/load_model.hpp>
#include <eosdnn/io/measured_profiles.hpp>
#include <eosdnn/io/plan_document.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/io/stop_on_signals.hpp>
#include <eosdnn/io/temporary_files.hpp>

#include <eosdnn/report/comparison.hpp>
#include <eosdnn/report/plan_report.hpp>
#include <eosdnn/report/plan_summary.hpp>
#include <eosdnn/report/report_text.hpp>
#include <eosdnn/report/upload_comparison.hpp>

#include <eosdnn/zoo/random_dag.hpp>
#include <eosdnn/zoo/zoo.hpp>
