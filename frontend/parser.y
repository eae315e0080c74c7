/* The .ein grammar: a pure parser with locations that builds the parse tree
 * (ast.h). It knows nothing of names; sema.c resolves them. A syntax error
 * skips to the end of its statement, so independent errors are all reported. */
%define api.pure full
%locations
%define parse.error detailed
%define api.location.type {SrcLoc}
%param {void *scanner}
%parse-param {ParseCtx *ctx}

%code requires {
#include "frontend/ast.h"
}

%code provides {
int yylex(YYSTYPE *lval, YYLTYPE *lloc, void *scanner);
void yyerror(YYLTYPE *lloc, void *scanner, ParseCtx *ctx, const char *msg);
}

%code {
#include <string.h>

#include "ir/cascade.h"

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                                               \
  do {                                                                                            \
    if (N)                                                                                        \
      (Cur) = YYRHSLOC(Rhs, 1);                                                                   \
    else                                                                                          \
      (Cur) = YYRHSLOC(Rhs, 0);                                                                   \
  } while (0)

static AstExpr *new_expr(ParseCtx *ctx, AstKind kind, SrcLoc loc) {
  AstExpr *e = arena_alloc(ctx->arena, sizeof *e);
  e->kind = kind;
  e->loc = loc;
  e->depth = 1;
  return e;
}

/* Sets e->depth from its operands; reported once, where it first gets too deep. */
static AstExpr *deepen(ParseCtx *ctx, AstExpr *e, const AstExpr *list) {
  int below = 0;
  for (; list; list = list->next)
    if (list->depth > below)
      below = list->depth;
  e->depth = below + 1;
  if (e->depth == AST_MAX_DEPTH + 1) {
    diag_error(ctx->diag, e->loc,
               "expression is too deep (more than %d nested operations); split it into several "
               "statements",
               AST_MAX_DEPTH);
  }
  return e;
}

static AstExpr *unary(ParseCtx *ctx, AstOp op, AstExpr *arg, SrcLoc loc) {
  AstExpr *e = new_expr(ctx, AX_UNARY, loc);
  e->op = op;
  e->args = arg;
  return deepen(ctx, e, arg);
}

static AstExpr *binary(ParseCtx *ctx, AstOp op, AstExpr *a, AstExpr *b, SrcLoc loc) {
  AstExpr *e = new_expr(ctx, AX_BINARY, loc);
  e->op = op;
  e->args = a;
  a->next = b;
  return deepen(ctx, e, a);
}

static AstExpr *named(ParseCtx *ctx, AstKind kind, const char *name, AstExpr *args, SrcLoc loc) {
  AstExpr *e = new_expr(ctx, kind, loc);
  e->name = name;
  e->args = args;
  return deepen(ctx, e, args);
}

static AstStmt *new_stmt(ParseCtx *ctx, AstStmtKind kind, SrcLoc loc) {
  AstStmt *s = arena_alloc(ctx->arena, sizeof *s);
  s->kind = kind;
  s->loc = loc;
  return s;
}

static void add_stmt(ParseCtx *ctx, AstStmt *s) {
  if (!s)
    return;
  if (ctx->prog.last)
    ctx->prog.last->next = s;
  else
    ctx->prog.first = s;
  ctx->prog.last = s;
}

/* A list is built back to front and reversed once: appending at its end
 * would walk it for every item. */
static AstExpr *reverse(AstExpr *list) {
  AstExpr *out = NULL;
  while (list) {
    AstExpr *next = list->next;
    list->next = out;
    out = list;
    list = next;
  }
  return out;
}

static AstLet *reverse_lets(AstLet *list) {
  AstLet *out = NULL;
  while (list) {
    AstLet *next = list->next;
    list->next = out;
    out = list;
    list = next;
  }
  return out;
}
}

%union {
  struct { double value; long long ival; bool is_int; } num;
  const char *str;
  AstExpr *expr;
  AstStmt *stmt;
  AstLet *let;
  int role;
}

%token END 0 "end of file"
%token NEWLINE "end of line"
%token <str> IDENT "identifier"
%token <num> NUMBER "number"
%token LET "'let'" INPUT "'input'" PARAM "'param'" OUTPUT "'output'" TENSOR "'tensor'"
%token INIT "'init'" INF "'inf'"
%token LE "'<='" GE "'>='" EQ "'=='" NE "'!='" AND "'&&'" OR "'||'"

%left OR
%left AND
%left '<' LE '>' GE EQ NE
%left '+' '-'
%left '*' '/' '%'
%precedence UNARY

%type <expr> expr primary expr_list_rev dims_opt init_opt lhs
%type <stmt> stmt
%type <let> let_list let_list_rev let_item
%type <role> role
%type <str> type_opt

%%

program:
  %empty
| program line
;

line:
  end_of_stmt
| stmt end_of_stmt     { add_stmt(ctx, $1); }
| error end_of_stmt    { yyerrok; }
;

end_of_stmt: NEWLINE | ';' ;

stmt:
  LET let_list {
    $$ = new_stmt(ctx, AS_LET, @1);
    $$->lets = $2;
  }
| role IDENT dims_opt type_opt {
    $$ = new_stmt(ctx, AS_DECL, @1);
    $$->role = $1;
    $$->name = $2;
    $$->name_loc = @2;
    $$->dims = $3;
    $$->type = $4;
    $$->type_loc = @4;
  }
| lhs '=' expr init_opt {
    $$ = new_stmt(ctx, AS_EINSUM, @1);
    $$->lhs = $1;
    $$->rhs = $3;
    $$->init = $4;
  }
;

let_list:
  let_list_rev  { $$ = reverse_lets($1); }
;

let_list_rev:
  let_item
| let_list_rev ',' let_item  { $3->next = $1; $$ = $3; }
;

let_item:
  IDENT '=' expr {
    $$ = arena_alloc(ctx->arena, sizeof *$$);
    $$->name = $1;
    $$->loc = @1;
    $$->value = $3;
  }
;

role:
  INPUT    { $$ = ROLE_INPUT; }
| PARAM    { $$ = ROLE_PARAM; }
| OUTPUT   { $$ = ROLE_OUTPUT; }
| TENSOR   { $$ = ROLE_INTERMEDIATE; }
;

dims_opt:
  %empty                  { $$ = NULL; }
| '[' ']'                 { $$ = NULL; }
| '[' expr_list_rev ']'   { $$ = reverse($2); }
;

type_opt:
  %empty       { $$ = NULL; }
| ':' IDENT    { $$ = $2; @$ = @2; } /* messages about the type point at it */
;

lhs:
  IDENT                        { $$ = named(ctx, AX_NAME, $1, NULL, @1); }
| IDENT '[' ']'                { $$ = named(ctx, AX_ACCESS, $1, NULL, @1); }
| IDENT '[' expr_list_rev ']'  { $$ = named(ctx, AX_ACCESS, $1, reverse($3), @1); }
;

init_opt:
  %empty      { $$ = NULL; }
| INIT expr   { $$ = $2; }
;

expr_list_rev:
  expr                        { $$ = $1; }
| expr_list_rev ',' expr      { $3->next = $1; $$ = $3; }
;

expr:
  primary
| expr OR expr     { $$ = binary(ctx, AOP_OR, $1, $3, @2); }
| expr AND expr    { $$ = binary(ctx, AOP_AND, $1, $3, @2); }
| expr '<' expr    { $$ = binary(ctx, AOP_LT, $1, $3, @2); }
| expr LE expr     { $$ = binary(ctx, AOP_LE, $1, $3, @2); }
| expr '>' expr    { $$ = binary(ctx, AOP_GT, $1, $3, @2); }
| expr GE expr     { $$ = binary(ctx, AOP_GE, $1, $3, @2); }
| expr EQ expr     { $$ = binary(ctx, AOP_EQ, $1, $3, @2); }
| expr NE expr     { $$ = binary(ctx, AOP_NE, $1, $3, @2); }
| expr '+' expr    { $$ = binary(ctx, AOP_ADD, $1, $3, @2); }
| expr '-' expr    { $$ = binary(ctx, AOP_SUB, $1, $3, @2); }
| expr '*' expr    { $$ = binary(ctx, AOP_MUL, $1, $3, @2); }
| expr '/' expr    { $$ = binary(ctx, AOP_DIV, $1, $3, @2); }
| expr '%' expr    { $$ = binary(ctx, AOP_MOD, $1, $3, @2); }
| '-' expr %prec UNARY  { $$ = unary(ctx, AOP_NEG, $2, @1); }
| '!' expr %prec UNARY  { $$ = unary(ctx, AOP_NOT, $2, @1); }
;

primary:
  NUMBER {
    $$ = new_expr(ctx, AX_NUM, @1);
    $$->num = $1.value;
    $$->ival = $1.ival;
    $$->is_int = $1.is_int;
  }
| INF                          { $$ = new_expr(ctx, AX_INF, @1); }
| IDENT                        { $$ = named(ctx, AX_NAME, $1, NULL, @1); }
| IDENT '[' ']'                { $$ = named(ctx, AX_ACCESS, $1, NULL, @1); }
| IDENT '[' expr_list_rev ']'  { $$ = named(ctx, AX_ACCESS, $1, reverse($3), @1); }
| IDENT '(' expr_list_rev ')'  { $$ = named(ctx, AX_CALL, $1, reverse($3), @1); }
| IDENT '(' expr_list_rev ':' expr ')' {
    $$ = named(ctx, AX_CALL, $1, $5, @1);
    $$->bound = reverse($3);
    $$->has_colon = true;
  }
| '(' expr ')'                 { $$ = $2; }
;

%%

void yyerror(YYLTYPE *lloc, void *scanner, ParseCtx *ctx, const char *msg) {
  (void)scanner;
  if (ctx->stray_in_stmt || ctx->scan_stopped)
    return;
  /* Bison says "syntax error, unexpected X, expecting Y"; the "syntax error, "
   * prefix adds nothing after "error:". */
  const char *prefix = "syntax error, ";
  if (strncmp(msg, prefix, strlen(prefix)) == 0)
    msg += strlen(prefix);
  /* The parser's stack is full: parentheses nested past its limit. */
  if (strcmp(msg, "memory exhausted") == 0)
    msg = "expression is nested too deeply for the parser; split it into several statements";
  diag_error(ctx->diag, *lloc, "%s", msg);
}

int ast_count(const AstExpr *list) {
  int n = 0;
  for (; list; list = list->next)
    n++;
  return n;
}
