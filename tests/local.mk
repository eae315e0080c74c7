# Frontend and CLI tests (check). The IR's own tests are in ir/local.mk.
#
# test_frontend: scanner, parser, semantic analysis and the printers' round
# trip, in memory. test_cli: the einc command end to end, with the error
# fixtures of tests/errors (NAME.ein and the exact standard error NAME.err).
# Both find the source tree through $SRCDIR, and test_cli runs $EINC
# (AM_TESTS_ENVIRONMENT in Makefile.am).

check_PROGRAMS += tests/test_frontend tests/test_cli
TESTS += tests/test_frontend tests/test_cli

tests_test_frontend_SOURCES = tests/test_frontend.c tests/testutil.c tests/testutil.h
tests_test_frontend_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_frontend_LDADD = libeincpasses.a libeincfront.a libeincir.a libeincrt.a $(CHECK_LIBS) -lm

tests_test_cli_SOURCES = tests/test_cli.c tests/testutil.c tests/testutil.h
tests_test_cli_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_cli_LDADD = libeincrt.a $(CHECK_LIBS) -lm

# The spec's programs, for the printers' round trip.
EXTRA_DIST += \
	tests/programs/spec_affine_indices.ein \
	tests/programs/spec_causal_conv.ein \
	tests/programs/spec_causal_mask.ein \
	tests/programs/spec_conditions.ein \
	tests/programs/spec_declarations.ein \
	tests/programs/spec_functions.ein \
	tests/programs/spec_implicit_sum.ein \
	tests/programs/spec_index_values.ein \
	tests/programs/spec_lexical.ein \
	tests/programs/spec_recurrence_init.ein \
	tests/programs/spec_recurrence_offsets.ein \
	tests/programs/spec_reductions.ein \
	tests/programs/spec_sum_around_call.ein \
	tests/programs/spec_whole_example.ein

# The error fixtures: one program per error class and its exact standard error.
EXTRA_DIST += \
	tests/errors/ambiguous_call.ein \
	tests/errors/ambiguous_call.err \
	tests/errors/ambiguous_reduction.ein \
	tests/errors/ambiguous_reduction.err \
	tests/errors/ambiguous_select.ein \
	tests/errors/ambiguous_select.err \
	tests/errors/binary.ein \
	tests/errors/binary.err \
	tests/errors/define_unknown.ein \
	tests/errors/define_unknown.err \
	tests/errors/double_assignment.ein \
	tests/errors/double_assignment.err \
	tests/errors/eof_open_bracket.ein \
	tests/errors/eof_open_bracket.err \
	tests/errors/eof_trailing_operator.ein \
	tests/errors/eof_trailing_operator.err \
	tests/errors/extent_conflict.ein \
	tests/errors/extent_conflict.err \
	tests/errors/extent_conflict_lhs.ein \
	tests/errors/extent_conflict_lhs.err \
	tests/errors/extent_unknown.ein \
	tests/errors/extent_unknown.err \
	tests/errors/init_uses_recurrence_var.ein \
	tests/errors/init_uses_recurrence_var.err \
	tests/errors/init_without_recurrence.ein \
	tests/errors/init_without_recurrence.err \
	tests/errors/let_division_by_zero.ein \
	tests/errors/let_division_by_zero.err \
	tests/errors/let_modulo_by_zero.ein \
	tests/errors/let_modulo_by_zero.err \
	tests/errors/let_not_integer.ein \
	tests/errors/let_not_integer.err \
	tests/errors/let_unknown_constant.ein \
	tests/errors/let_unknown_constant.err \
	tests/errors/missing.err \
	tests/errors/output_never_assigned.ein \
	tests/errors/output_never_assigned.err \
	tests/errors/recurrence_nonconstant_offset.ein \
	tests/errors/recurrence_nonconstant_offset.err \
	tests/errors/recurrence_positive_offset.ein \
	tests/errors/recurrence_positive_offset.err \
	tests/errors/recurrence_two_ranks.ein \
	tests/errors/recurrence_two_ranks.err \
	tests/errors/recurrence_zero_offset.ein \
	tests/errors/recurrence_zero_offset.err \
	tests/errors/several_errors.ein \
	tests/errors/several_errors.err \
	tests/errors/several_errors_semantic.ein \
	tests/errors/several_errors_semantic.err \
	tests/errors/stray_character.ein \
	tests/errors/stray_character.err \
	tests/errors/syntax_error.ein \
	tests/errors/syntax_error.err \
	tests/errors/tensor_never_assigned.ein \
	tests/errors/tensor_never_assigned.err \
	tests/errors/unknown_function.ein \
	tests/errors/unknown_function.err \
	tests/errors/unknown_tensor.ein \
	tests/errors/unknown_tensor.err \
	tests/errors/use_before_definition.ein \
	tests/errors/use_before_definition.err \
	tests/errors/wrong_rank_assign.ein \
	tests/errors/wrong_rank_assign.err \
	tests/errors/wrong_rank_read.ein \
	tests/errors/wrong_rank_read.err
