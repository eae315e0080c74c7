/* The parse tree: what the text says, with names still unresolved.
 * Semantic analysis (sema.c) turns it into the Cascade IR. */
#ifndef EINC_AST_H
#define EINC_AST_H

#include <stdbool.h>
#include <stddef.h>

#include "ir/arena.h"
#include "ir/diag.h"

typedef enum {
  AX_NUM,    /* num */
  AX_INF,    /* inf */
  AX_NAME,   /* a bare name: let constant, scalar tensor or index variable */
  AX_ACCESS, /* name[args] (possibly name[]) */
  AX_UNARY,  /* op args */
  AX_BINARY, /* args op args->next */
  AX_CALL,   /* name(args) or name(bound: args) */
} AstKind;

/* Operators keep the parser's token codes' meaning through this enum. */
typedef enum {
  AOP_NEG,
  AOP_NOT,
  AOP_ADD,
  AOP_SUB,
  AOP_MUL,
  AOP_DIV,
  AOP_MOD,
  AOP_LT,
  AOP_LE,
  AOP_GT,
  AOP_GE,
  AOP_EQ,
  AOP_NE,
  AOP_AND,
  AOP_OR,
} AstOp;

typedef struct AstExpr {
  AstKind kind;
  SrcLoc loc;
  double num;
  long long ival; /* AX_NUM written as an integer */
  bool is_int;
  const char *name;
  AstOp op;
  struct AstExpr *args;  /* operands, indices or call arguments, linked by next */
  struct AstExpr *bound; /* AX_CALL with "vars:" before the body */
  bool has_colon;        /* AX_CALL written as name(bound: body) */
  int depth;             /* of the tree below, this node included */
  struct AstExpr *next;
} AstExpr;

/* Deeper expressions are an error: analysis and printing recurse on the tree,
 * and a chain of 100000 `+` would overflow the stack. The parser's own stack
 * has the same limit for nested parentheses. */
enum { AST_MAX_DEPTH = 10000 };

typedef enum { AS_LET, AS_DECL, AS_EINSUM } AstStmtKind;

typedef struct AstLet {
  const char *name;
  SrcLoc loc;
  AstExpr *value;
  struct AstLet *next;
} AstLet;

typedef struct AstStmt {
  AstStmtKind kind;
  SrcLoc loc;
  AstLet *lets;     /* AS_LET */
  int role;         /* AS_DECL: a Role */
  const char *name; /* AS_DECL */
  SrcLoc name_loc;
  AstExpr *dims;    /* AS_DECL */
  const char *type; /* AS_DECL, NULL for the default */
  SrcLoc type_loc;
  AstExpr *lhs; /* AS_EINSUM: AX_NAME or AX_ACCESS */
  AstExpr *rhs;
  AstExpr *init;
  struct AstStmt *next;
} AstStmt;

typedef struct AstProgram {
  AstStmt *first, *last;
} AstProgram;

int ast_count(const AstExpr *list);

/* What the parser fills in; the scanner reads the same struct. */
typedef struct ParseCtx {
  Arena *arena;
  Diag *diag;
  const char *file;
  AstProgram prog;
  /* The scanner already reported the problem behind any syntax error the
   * parser finds next: a stray character in this statement, or a NUL byte
   * that ended the scan. The parser's own message would only mislead. */
  bool stray_in_stmt;
  bool scan_stopped;
} ParseCtx;

/* Parses text[0..len) into ctx->prog; syntax errors go to ctx->diag. */
void parse_program(ParseCtx *ctx, const char *text, size_t len);

#endif
