Function ACID_TEST_RATIO(current_assets, inventories, current_liabilities)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ACID_TEST_RATIO = XLPy.CallUDF("kpi_addin.excel.functions", "ACID_TEST_RATIO", Array(current_assets, inventories, current_liabilities), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ACID_TEST_RATIO = XLPy.CallUDF("kpi_addin.excel.functions", "ACID_TEST_RATIO", Array(current_assets, inventories, current_liabilities))
        Exit Function
    #End If
failed:
    ACID_TEST_RATIO = Err.Description
End Function

Function ANNUALIZE_CHURN(monthly_rate)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ANNUALIZE_CHURN = XLPy.CallUDF("kpi_addin.excel.functions", "ANNUALIZE_CHURN", Array(monthly_rate), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ANNUALIZE_CHURN = XLPy.CallUDF("kpi_addin.excel.functions", "ANNUALIZE_CHURN", Array(monthly_rate))
        Exit Function
    #End If
failed:
    ANNUALIZE_CHURN = Err.Description
End Function

Function ARPU(mrr, customers)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ARPU = XLPy.CallUDF("kpi_addin.excel.functions", "ARPU", Array(mrr, customers), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ARPU = XLPy.CallUDF("kpi_addin.excel.functions", "ARPU", Array(mrr, customers))
        Exit Function
    #End If
failed:
    ARPU = Err.Description
End Function

Function ARR(mrr)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ARR = XLPy.CallUDF("kpi_addin.excel.functions", "ARR", Array(mrr), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ARR = XLPy.CallUDF("kpi_addin.excel.functions", "ARR", Array(mrr))
        Exit Function
    #End If
failed:
    ARR = Err.Description
End Function

Function ARR_PER_CUSTOMER(arr, customers)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ARR_PER_CUSTOMER = XLPy.CallUDF("kpi_addin.excel.functions", "ARR_PER_CUSTOMER", Array(arr, customers), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ARR_PER_CUSTOMER = XLPy.CallUDF("kpi_addin.excel.functions", "ARR_PER_CUSTOMER", Array(arr, customers))
        Exit Function
    #End If
failed:
    ARR_PER_CUSTOMER = Err.Description
End Function

Function ASP_NEW(new_mrr, acquired_customers)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ASP_NEW = XLPy.CallUDF("kpi_addin.excel.functions", "ASP_NEW", Array(new_mrr, acquired_customers), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ASP_NEW = XLPy.CallUDF("kpi_addin.excel.functions", "ASP_NEW", Array(new_mrr, acquired_customers))
        Exit Function
    #End If
failed:
    ASP_NEW = Err.Description
End Function

Function CAC(sales, marketing, acquired_customers)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        CAC = XLPy.CallUDF("kpi_addin.excel.functions", "CAC", Array(sales, marketing, acquired_customers), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        CAC = XLPy.CallUDF("kpi_addin.excel.functions", "CAC", Array(sales, marketing, acquired_customers))
        Exit Function
    #End If
failed:
    CAC = Err.Description
End Function

Function CAC_PAYBACK(cac, arpu, Optional gross_margin)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        CAC_PAYBACK = XLPy.CallUDF("kpi_addin.excel.functions", "CAC_PAYBACK", Array(cac, arpu, gross_margin), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        CAC_PAYBACK = XLPy.CallUDF("kpi_addin.excel.functions", "CAC_PAYBACK", Array(cac, arpu, gross_margin))
        Exit Function
    #End If
failed:
    CAC_PAYBACK = Err.Description
End Function

Function CCR(new_customers, visitors)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        CCR = XLPy.CallUDF("kpi_addin.excel.functions", "CCR", Array(new_customers, visitors), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        CCR = XLPy.CallUDF("kpi_addin.excel.functions", "CCR", Array(new_customers, visitors))
        Exit Function
    #End If
failed:
    CCR = Err.Description
End Function

Function CHURN(churned_customers, start_customers)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        CHURN = XLPy.CallUDF("kpi_addin.excel.functions", "CHURN", Array(churned_customers, start_customers), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        CHURN = XLPy.CallUDF("kpi_addin.excel.functions", "CHURN", Array(churned_customers, start_customers))
        Exit Function
    #End If
failed:
    CHURN = Err.Description
End Function

Function CLV(customer_value, avg_lifetime_months)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        CLV = XLPy.CallUDF("kpi_addin.excel.functions", "CLV", Array(customer_value, avg_lifetime_months), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        CLV = XLPy.CallUDF("kpi_addin.excel.functions", "CLV", Array(customer_value, avg_lifetime_months))
        Exit Function
    #End If
failed:
    CLV = Err.Description
End Function

Function COHORTS(subscriptions, Optional basis, Optional fx_rates, Optional settings)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        COHORTS = XLPy.CallUDF("kpi_addin.excel.functions", "COHORTS", Array(subscriptions, basis, fx_rates, settings), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        COHORTS = XLPy.CallUDF("kpi_addin.excel.functions", "COHORTS", Array(subscriptions, basis, fx_rates, settings))
        Exit Function
    #End If
failed:
    COHORTS = Err.Description
End Function

Function CONVERSION(converted, total)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        CONVERSION = XLPy.CallUDF("kpi_addin.excel.functions", "CONVERSION", Array(converted, total), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        CONVERSION = XLPy.CallUDF("kpi_addin.excel.functions", "CONVERSION", Array(converted, total))
        Exit Function
    #End If
failed:
    CONVERSION = Err.Description
End Function

Function CTS(costs, paying_customers)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        CTS = XLPy.CallUDF("kpi_addin.excel.functions", "CTS", Array(costs, paying_customers), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        CTS = XLPy.CallUDF("kpi_addin.excel.functions", "CTS", Array(costs, paying_customers))
        Exit Function
    #End If
failed:
    CTS = Err.Description
End Function

Function CURRENT_RATIO(current_assets, current_liabilities)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        CURRENT_RATIO = XLPy.CallUDF("kpi_addin.excel.functions", "CURRENT_RATIO", Array(current_assets, current_liabilities), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        CURRENT_RATIO = XLPy.CallUDF("kpi_addin.excel.functions", "CURRENT_RATIO", Array(current_assets, current_liabilities))
        Exit Function
    #End If
failed:
    CURRENT_RATIO = Err.Description
End Function

Function DEBT_TO_EQUITY(total_liabilities, shareholders_equity)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        DEBT_TO_EQUITY = XLPy.CallUDF("kpi_addin.excel.functions", "DEBT_TO_EQUITY", Array(total_liabilities, shareholders_equity), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        DEBT_TO_EQUITY = XLPy.CallUDF("kpi_addin.excel.functions", "DEBT_TO_EQUITY", Array(total_liabilities, shareholders_equity))
        Exit Function
    #End If
failed:
    DEBT_TO_EQUITY = Err.Description
End Function

Function EQUITY_RATIO(shareholders_equity, total_assets)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        EQUITY_RATIO = XLPy.CallUDF("kpi_addin.excel.functions", "EQUITY_RATIO", Array(shareholders_equity, total_assets), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        EQUITY_RATIO = XLPy.CallUDF("kpi_addin.excel.functions", "EQUITY_RATIO", Array(shareholders_equity, total_assets))
        Exit Function
    #End If
failed:
    EQUITY_RATIO = Err.Description
End Function

Function GROSS_MARGIN(cogs, margin_revenue)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GROSS_MARGIN = XLPy.CallUDF("kpi_addin.excel.functions", "GROSS_MARGIN", Array(cogs, margin_revenue), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GROSS_MARGIN = XLPy.CallUDF("kpi_addin.excel.functions", "GROSS_MARGIN", Array(cogs, margin_revenue))
        Exit Function
    #End If
failed:
    GROSS_MARGIN = Err.Description
End Function

Function GRR(start_mrr, net_contraction_mrr, churned_mrr)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GRR = XLPy.CallUDF("kpi_addin.excel.functions", "GRR", Array(start_mrr, net_contraction_mrr, churned_mrr), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GRR = XLPy.CallUDF("kpi_addin.excel.functions", "GRR", Array(start_mrr, net_contraction_mrr, churned_mrr))
        Exit Function
    #End If
failed:
    GRR = Err.Description
End Function

Function INTEREST_COVERAGE(ebit, interest_expense)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        INTEREST_COVERAGE = XLPy.CallUDF("kpi_addin.excel.functions", "INTEREST_COVERAGE", Array(ebit, interest_expense), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        INTEREST_COVERAGE = XLPy.CallUDF("kpi_addin.excel.functions", "INTEREST_COVERAGE", Array(ebit, interest_expense))
        Exit Function
    #End If
failed:
    INTEREST_COVERAGE = Err.Description
End Function

Function KPI(handle, key, Optional month, Optional segment)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        KPI = XLPy.CallUDF("kpi_addin.excel.functions", "KPI", Array(handle, key, month, segment), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        KPI = XLPy.CallUDF("kpi_addin.excel.functions", "KPI", Array(handle, key, month, segment))
        Exit Function
    #End If
failed:
    KPI = Err.Description
End Function

Function KPI_MOVEMENTS(handle, Optional month, Optional type)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        KPI_MOVEMENTS = XLPy.CallUDF("kpi_addin.excel.functions", "KPI_MOVEMENTS", Array(handle, month, type), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        KPI_MOVEMENTS = XLPy.CallUDF("kpi_addin.excel.functions", "KPI_MOVEMENTS", Array(handle, month, type))
        Exit Function
    #End If
failed:
    KPI_MOVEMENTS = Err.Description
End Function

Function KPI_REPORT(subscriptions, Optional fx_rates, Optional costs, Optional funnel, Optional nps, Optional settings, Optional balance_sheet)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        KPI_REPORT = XLPy.CallUDF("kpi_addin.excel.functions", "KPI_REPORT", Array(subscriptions, fx_rates, costs, funnel, nps, settings, balance_sheet), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        KPI_REPORT = XLPy.CallUDF("kpi_addin.excel.functions", "KPI_REPORT", Array(subscriptions, fx_rates, costs, funnel, nps, settings, balance_sheet))
        Exit Function
    #End If
failed:
    KPI_REPORT = Err.Description
End Function

Function KPI_TABLE(handle, Optional keys, Optional months, Optional by)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        KPI_TABLE = XLPy.CallUDF("kpi_addin.excel.functions", "KPI_TABLE", Array(handle, keys, months, by), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        KPI_TABLE = XLPy.CallUDF("kpi_addin.excel.functions", "KPI_TABLE", Array(handle, keys, months, by))
        Exit Function
    #End If
failed:
    KPI_TABLE = Err.Description
End Function

Function KPI_WARNINGS(handle)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        KPI_WARNINGS = XLPy.CallUDF("kpi_addin.excel.functions", "KPI_WARNINGS", Array(handle), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        KPI_WARNINGS = XLPy.CallUDF("kpi_addin.excel.functions", "KPI_WARNINGS", Array(handle))
        Exit Function
    #End If
failed:
    KPI_WARNINGS = Err.Description
End Function

Function LTV(arpu, churn_rate, Optional gross_margin)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        LTV = XLPy.CallUDF("kpi_addin.excel.functions", "LTV", Array(arpu, churn_rate, gross_margin), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        LTV = XLPy.CallUDF("kpi_addin.excel.functions", "LTV", Array(arpu, churn_rate, gross_margin))
        Exit Function
    #End If
failed:
    LTV = Err.Description
End Function

Function LTV_CAC(ltv, cac)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        LTV_CAC = XLPy.CallUDF("kpi_addin.excel.functions", "LTV_CAC", Array(ltv, cac), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        LTV_CAC = XLPy.CallUDF("kpi_addin.excel.functions", "LTV_CAC", Array(ltv, cac))
        Exit Function
    #End If
failed:
    LTV_CAC = Err.Description
End Function

Function MRR(customers, avg_revenue_per_customer)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        MRR = XLPy.CallUDF("kpi_addin.excel.functions", "MRR", Array(customers, avg_revenue_per_customer), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        MRR = XLPy.CallUDF("kpi_addin.excel.functions", "MRR", Array(customers, avg_revenue_per_customer))
        Exit Function
    #End If
failed:
    MRR = Err.Description
End Function

Function MRR_MOVEMENTS(subscriptions, Optional fx_rates, Optional as_of, Optional settings)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        MRR_MOVEMENTS = XLPy.CallUDF("kpi_addin.excel.functions", "MRR_MOVEMENTS", Array(subscriptions, fx_rates, as_of, settings), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        MRR_MOVEMENTS = XLPy.CallUDF("kpi_addin.excel.functions", "MRR_MOVEMENTS", Array(subscriptions, fx_rates, as_of, settings))
        Exit Function
    #End If
failed:
    MRR_MOVEMENTS = Err.Description
End Function

Function MRR_TABLE(subscriptions, Optional fx_rates, Optional as_of, Optional settings)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        MRR_TABLE = XLPy.CallUDF("kpi_addin.excel.functions", "MRR_TABLE", Array(subscriptions, fx_rates, as_of, settings), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        MRR_TABLE = XLPy.CallUDF("kpi_addin.excel.functions", "MRR_TABLE", Array(subscriptions, fx_rates, as_of, settings))
        Exit Function
    #End If
failed:
    MRR_TABLE = Err.Description
End Function

Function NPS(scores)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        NPS = XLPy.CallUDF("kpi_addin.excel.functions", "NPS", Array(scores), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        NPS = XLPy.CallUDF("kpi_addin.excel.functions", "NPS", Array(scores))
        Exit Function
    #End If
failed:
    NPS = Err.Description
End Function

Function NRR(start_mrr, expansion_mrr, contraction_mrr, churned_mrr, Optional fx_mrr)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        NRR = XLPy.CallUDF("kpi_addin.excel.functions", "NRR", Array(start_mrr, expansion_mrr, contraction_mrr, churned_mrr, fx_mrr), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        NRR = XLPy.CallUDF("kpi_addin.excel.functions", "NRR", Array(start_mrr, expansion_mrr, contraction_mrr, churned_mrr, fx_mrr))
        Exit Function
    #End If
failed:
    NRR = Err.Description
End Function

Function PQL_CONVERSION(pql_converted, pql)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        PQL_CONVERSION = XLPy.CallUDF("kpi_addin.excel.functions", "PQL_CONVERSION", Array(pql_converted, pql), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        PQL_CONVERSION = XLPy.CallUDF("kpi_addin.excel.functions", "PQL_CONVERSION", Array(pql_converted, pql))
        Exit Function
    #End If
failed:
    PQL_CONVERSION = Err.Description
End Function

Function RETENTION(customers, gained_customers, start_customers)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        RETENTION = XLPy.CallUDF("kpi_addin.excel.functions", "RETENTION", Array(customers, gained_customers, start_customers), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        RETENTION = XLPy.CallUDF("kpi_addin.excel.functions", "RETENTION", Array(customers, gained_customers, start_customers))
        Exit Function
    #End If
failed:
    RETENTION = Err.Description
End Function

Function REVENUE_CHURN(lost_mrr, start_mrr)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        REVENUE_CHURN = XLPy.CallUDF("kpi_addin.excel.functions", "REVENUE_CHURN", Array(lost_mrr, start_mrr), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        REVENUE_CHURN = XLPy.CallUDF("kpi_addin.excel.functions", "REVENUE_CHURN", Array(lost_mrr, start_mrr))
        Exit Function
    #End If
failed:
    REVENUE_CHURN = Err.Description
End Function

Function RUNWAY(cash, burn_3m)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        RUNWAY = XLPy.CallUDF("kpi_addin.excel.functions", "RUNWAY", Array(cash, burn_3m), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        RUNWAY = XLPy.CallUDF("kpi_addin.excel.functions", "RUNWAY", Array(cash, burn_3m))
        Exit Function
    #End If
failed:
    RUNWAY = Err.Description
End Function

Function SAAS_QUICK_RATIO(new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, churned_mrr)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        SAAS_QUICK_RATIO = XLPy.CallUDF("kpi_addin.excel.functions", "SAAS_QUICK_RATIO", Array(new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, churned_mrr), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        SAAS_QUICK_RATIO = XLPy.CallUDF("kpi_addin.excel.functions", "SAAS_QUICK_RATIO", Array(new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, churned_mrr))
        Exit Function
    #End If
failed:
    SAAS_QUICK_RATIO = Err.Description
End Function

