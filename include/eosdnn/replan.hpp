#pragma once
/// \file replan.hpp
/// Re-planning at run time (issue 16): every public header of replan/. Not included by
/// eosdnn.hpp, whose compile time is budgeted; include this one where sessions are simulated.

#include <eosdnn/replan/best_placement.hpp>
#include <eosdnn/replan/domain_problem.hpp>
#include <eosdnn/replan/partition_time.hpp>
#include <eosdnn/replan/replan_options.hpp>
#include <eosdnn/replan/replanner.hpp>
#include <eosdnn/replan/session.hpp>
#include <eosdnn/replan/session_environment.hpp>
#include <eosdnn/replan/trace.hpp>
#include <eosdnn/replan/trace_csv.hpp>
#include <eosdnn/replan/trace_generators.hpp>
#include <eosdnn/replan/window_score.hpp>
